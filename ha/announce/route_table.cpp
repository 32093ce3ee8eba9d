#include "ha/announce/route_table.h"

#include <linux/rtnetlink.h>

#include <netlink/addr.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>

#include "ha/vip/vip_manager.h"

namespace tandem::ha {

namespace {

struct RoutePut {
  void operator()(rtnl_route* r) const { rtnl_route_put(r); }
};
struct NlAddrPut {
  void operator()(nl_addr* a) const { nl_addr_put(a); }
};

std::string nl_problem(int err, const std::string& what) {
  if (err < 0) err = -err;
  if (err == NLE_PERM || err == NLE_NOACCESS) return "permission denied: run as root or with CAP_NET_ADMIN (" + what + ")";
  return what + ": " + nl_geterror(err);
}

}  // namespace

void RouteTable::SockDeleter::operator()(nl_sock* sock) const { nl_socket_free(sock); }

std::optional<RouteTable> RouteTable::open(unsigned table, std::string ifname, std::string& error) {
  nl_sock* sock = nl_socket_alloc();
  if (!sock) {
    error = "cannot allocate a netlink socket";
    return std::nullopt;
  }
  if (const int err = nl_connect(sock, NETLINK_ROUTE); err < 0) {
    nl_socket_free(sock);
    error = nl_problem(err, "cannot open rtnetlink");
    return std::nullopt;
  }
  return RouteTable(sock, table, std::move(ifname));
}

bool RouteTable::change(const Prefix& vip, bool add, std::string& error) {
  const std::string what = std::string(add ? "adding" : "removing") + " route " + format_prefix(vip) + " table " +
                           std::to_string(table_);
  rtnl_link* link = nullptr;
  if (rtnl_link_get_kernel(sock_.get(), 0, ifname_.c_str(), &link) < 0 || !link) {
    error = what + ": no interface '" + ifname_ + "' (ha.announce.interface)";
    return false;
  }
  const int index = rtnl_link_get_ifindex(link);
  rtnl_link_put(link);
  std::unique_ptr<rtnl_route, RoutePut> route(rtnl_route_alloc());
  std::unique_ptr<nl_addr, NlAddrPut> dst;
  if (vip.address.is_v4()) {
    const auto b = vip.address.to_v4().to_bytes();
    dst.reset(nl_addr_build(AF_INET, b.data(), b.size()));
  } else {
    const auto b = vip.address.to_v6().to_bytes();
    dst.reset(nl_addr_build(AF_INET6, b.data(), b.size()));
  }
  if (!route || !dst) {
    error = what + ": out of memory";
    return false;
  }
  nl_addr_set_prefixlen(dst.get(), static_cast<int>(vip.length));
  rtnl_route_set_family(route.get(), vip.address.is_v4() ? AF_INET : AF_INET6);
  rtnl_route_set_dst(route.get(), dst.get());
  rtnl_route_set_table(route.get(), table_);
  rtnl_route_set_protocol(route.get(), RTPROT_STATIC);
  rtnl_route_set_scope(route.get(), RT_SCOPE_LINK);
  rtnl_route_set_type(route.get(), RTN_UNICAST);
  rtnl_nexthop* nh = rtnl_route_nh_alloc();
  if (!nh) {
    error = what + ": out of memory";
    return false;
  }
  rtnl_route_nh_set_ifindex(nh, index);
  rtnl_route_add_nexthop(route.get(), nh);  // the route owns it now
  const int err = add ? rtnl_route_add(sock_.get(), route.get(), NLM_F_CREATE | NLM_F_REPLACE)
                      : rtnl_route_delete(sock_.get(), route.get(), 0);
  if (err < 0 && !(add == false && (err == -NLE_OBJ_NOTFOUND || err == -NLE_NOADDR))) {
    error = nl_problem(err, what);
    return false;
  }
  return true;
}

bool RouteTable::add(const std::vector<Prefix>& vips, std::string& error) {
  for (const auto& v : vips)
    if (!change(v, true, error)) return false;
  return true;
}

bool RouteTable::remove(const std::vector<Prefix>& vips, std::string& error) {
  bool ok = true;
  for (const auto& v : vips) {
    std::string e;
    if (!change(v, false, e)) {
      ok = false;
      error = e;
    }
  }
  return ok;
}

}  // namespace tandem::ha
