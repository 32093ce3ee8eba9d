#include "ha/vip/vip_manager.h"

#include <linux/neighbour.h>
#include <net/if.h>

#include <array>
#include <cstring>
#include <utility>

#include <netlink/addr.h>
#include <netlink/cache.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/neighbour.h>

namespace tandem::ha {

namespace {

struct RtnlAddrPut {
  void operator()(rtnl_addr* addr) const { rtnl_addr_put(addr); }
};
struct NlAddrPut {
  void operator()(nl_addr* addr) const { nl_addr_put(addr); }
};
struct NlCacheFree {
  void operator()(nl_cache* cache) const { nl_cache_free(cache); }
};
struct RtnlLinkPut {
  void operator()(rtnl_link* link) const { rtnl_link_put(link); }
};
using AddrPtr = std::unique_ptr<rtnl_addr, RtnlAddrPut>;

// A netlink error as a message; permission problems say how to fix them.
std::string nl_failure(int err, const std::string& what) {
  if (err < 0) err = -err;
  if (err == NLE_PERM || err == NLE_NOACCESS) {
    return "permission denied: run as root or with CAP_NET_ADMIN (" + what + ")";
  }
  return what + ": " + nl_geterror(err);
}

bool prefix_length_ok(const Prefix& vip) {
  return vip.length <= (vip.address.is_v4() ? 32u : 128u);
}

// The VIP as an rtnl_addr on IFINDEX, ready for add or delete.
AddrPtr make_addr(int ifindex, const Prefix& vip, const std::string& label) {
  AddrPtr addr(rtnl_addr_alloc());
  if (!addr) return nullptr;
  std::unique_ptr<nl_addr, NlAddrPut> local;
  if (vip.address.is_v4()) {
    const auto bytes = vip.address.to_v4().to_bytes();
    local.reset(nl_addr_build(AF_INET, bytes.data(), bytes.size()));
  } else {
    const auto bytes = vip.address.to_v6().to_bytes();
    local.reset(nl_addr_build(AF_INET6, bytes.data(), bytes.size()));
  }
  if (!local) return nullptr;
  nl_addr_set_prefixlen(local.get(), static_cast<int>(vip.length));
  rtnl_addr_set_ifindex(addr.get(), ifindex);
  if (rtnl_addr_set_local(addr.get(), local.get()) < 0) return nullptr;
  rtnl_addr_set_prefixlen(addr.get(), static_cast<int>(vip.length));
  if (vip.address.is_v4()) {
    if (!label.empty()) rtnl_addr_set_label(addr.get(), label.c_str());
  } else {
    rtnl_addr_set_flags(addr.get(), IFA_F_NODAD);
  }
  return addr;
}

// The local address of a kernel address object as a Prefix.
std::optional<Prefix> to_prefix(rtnl_addr* addr) {
  nl_addr* local = rtnl_addr_get_local(addr);
  if (!local) return std::nullopt;
  const auto* raw = static_cast<const unsigned char*>(nl_addr_get_binary_addr(local));
  const unsigned len = nl_addr_get_len(local);
  Prefix out;
  out.length = static_cast<unsigned>(rtnl_addr_get_prefixlen(addr));
  if (rtnl_addr_get_family(addr) == AF_INET && len == 4) {
    boost::asio::ip::address_v4::bytes_type b;
    std::memcpy(b.data(), raw, 4);
    out.address = boost::asio::ip::address_v4(b);
  } else if (rtnl_addr_get_family(addr) == AF_INET6 && len == 16) {
    boost::asio::ip::address_v6::bytes_type b;
    std::memcpy(b.data(), raw, 16);
    out.address = boost::asio::ip::address_v6(b);
  } else {
    return std::nullopt;
  }
  return out;
}

bool same_prefix(const Prefix& a, const Prefix& b) {
  return a.address == b.address && a.length == b.length;
}

// Every address the kernel holds (all interfaces, both families).
std::unique_ptr<nl_cache, NlCacheFree> address_dump(nl_sock* sock, std::string& error) {
  nl_cache* cache = nullptr;
  if (const int err = rtnl_addr_alloc_cache(sock, &cache); err < 0) {
    error = nl_failure(err, "cannot list addresses");
    return nullptr;
  }
  return std::unique_ptr<nl_cache, NlCacheFree>(cache);
}

// The kernel's view of IFNAME; null and ERROR when it does not exist.
std::unique_ptr<rtnl_link, RtnlLinkPut> get_link(nl_sock* sock, const std::string& ifname,
                                                 const std::string& what, std::string& error) {
  if (ifname.empty() || ifname.size() >= IFNAMSIZ) {
    error = "no interface '" + ifname + "': interface names are 1 to 15 characters";
    return nullptr;
  }
  rtnl_link* raw = nullptr;
  const int err = rtnl_link_get_kernel(sock, 0, ifname.c_str(), &raw);
  std::unique_ptr<rtnl_link, RtnlLinkPut> link(raw);
  if (err == -NLE_NODEV || err == -NLE_OBJ_NOTFOUND) {
    error = "no interface '" + ifname +
            "': check the interface name in the config ('ip link' lists them)";
    return nullptr;
  }
  if (err < 0 || !link) {
    error = nl_failure(err, what);
    return nullptr;
  }
  return link;
}

// IFNAME's index; nullopt and ERROR when it does not exist.
std::optional<int> ifindex(nl_sock* sock, const std::string& ifname, std::string& error) {
  const auto link = get_link(sock, ifname, "cannot look up interface '" + ifname + "'", error);
  if (!link) return std::nullopt;
  return rtnl_link_get_ifindex(link.get());
}

}  // namespace

bool neighbour_unresolved(unsigned nud_state) {
  if (nud_state & (NUD_PERMANENT | NUD_NOARP)) return false;
  return (nud_state & (NUD_INCOMPLETE | NUD_FAILED)) != 0;
}

std::string vip_label(std::string_view ifname) {
  std::string label(ifname);
  label += kVipLabelSuffix;
  if (label.size() >= IFNAMSIZ) return {};
  return label;
}

std::string format_prefix(const Prefix& prefix) {
  return prefix.address.to_string() + "/" + std::to_string(prefix.length);
}

void VipManager::SockDeleter::operator()(nl_sock* sock) const { nl_socket_free(sock); }

std::optional<VipManager> VipManager::open(std::string& error) {
  nl_sock* sock = nl_socket_alloc();
  if (!sock) {
    error = "cannot allocate a netlink socket (out of memory)";
    return std::nullopt;
  }
  if (const int err = nl_connect(sock, NETLINK_ROUTE); err < 0) {
    nl_socket_free(sock);
    error = nl_failure(err, "cannot open rtnetlink socket");
    return std::nullopt;
  }
  return VipManager(sock);
}

bool VipManager::add(const std::string& ifname, const Prefix& vip, std::string& error) {
  const std::string what = "cannot add " + format_prefix(vip) + " to " + ifname;
  if (!prefix_length_ok(vip)) {
    error = what + ": prefix length too long";
    return false;
  }
  const auto index = ifindex(sock_.get(), ifname, error);
  if (!index) return false;
  AddrPtr addr = make_addr(*index, vip, vip_label(ifname));
  if (!addr) {
    error = what + ": out of memory";
    return false;
  }
  const int err = rtnl_addr_add(sock_.get(), addr.get(), NLM_F_REPLACE);
  if (err < 0 && err != -NLE_EXIST) {
    error = nl_failure(err, what);
    return false;
  }
  return true;
}

bool VipManager::remove(const std::string& ifname, const Prefix& vip, std::string& error) {
  const std::string what = "cannot remove " + format_prefix(vip) + " from " + ifname;
  if (!prefix_length_ok(vip)) {
    error = what + ": prefix length too long";
    return false;
  }
  const auto index = ifindex(sock_.get(), ifname, error);
  if (!index) return false;
  // No label: a label in a delete request must match the address's, and a
  // copy added by hand has none. Address and prefix length identify the VIP.
  AddrPtr addr = make_addr(*index, vip, {});
  if (!addr) {
    error = what + ": out of memory";
    return false;
  }
  const int err = rtnl_addr_delete(sock_.get(), addr.get(), 0);
  if (err < 0 && err != -NLE_NOADDR && err != -NLE_OBJ_NOTFOUND) {
    error = nl_failure(err, what);
    return false;
  }
  return true;
}

std::optional<bool> VipManager::present(const std::string& ifname, const Prefix& vip,
                                        std::string& error) {
  const auto index = ifindex(sock_.get(), ifname, error);
  if (!index) return std::nullopt;
  const auto cache = address_dump(sock_.get(), error);
  if (!cache) return std::nullopt;
  for (nl_object* obj = nl_cache_get_first(cache.get()); obj; obj = nl_cache_get_next(obj)) {
    auto* addr = reinterpret_cast<rtnl_addr*>(obj);
    if (rtnl_addr_get_ifindex(addr) != *index) continue;
    const auto prefix = to_prefix(addr);
    if (prefix && same_prefix(*prefix, vip)) return true;
  }
  return false;
}

std::optional<std::vector<Prefix>> VipManager::remove_leftovers(
    const std::string& ifname, const std::vector<Prefix>& configured, std::string& error) {
  const auto index = ifindex(sock_.get(), ifname, error);
  if (!index) return std::nullopt;
  const auto cache = address_dump(sock_.get(), error);
  if (!cache) return std::nullopt;
  const std::string label = vip_label(ifname);
  std::vector<Prefix> removed;
  for (nl_object* obj = nl_cache_get_first(cache.get()); obj; obj = nl_cache_get_next(obj)) {
    auto* addr = reinterpret_cast<rtnl_addr*>(obj);
    if (rtnl_addr_get_ifindex(addr) != *index) continue;
    const auto prefix = to_prefix(addr);
    if (!prefix) continue;
    bool ours = false;
    for (const Prefix& vip : configured) ours = ours || same_prefix(*prefix, vip);
    const char* addr_label = rtnl_addr_get_label(addr);
    if (!label.empty() && prefix->address.is_v4() && addr_label && label == addr_label) ours = true;
    if (!ours) continue;
    const int err = rtnl_addr_delete(sock_.get(), addr, 0);
    if (err < 0 && err != -NLE_NOADDR) {
      error = nl_failure(err, "cannot remove leftover VIP " + format_prefix(*prefix) + " from " + ifname);
      return std::nullopt;
    }
    removed.push_back(*prefix);
  }
  return removed;
}

std::optional<bool> VipManager::link_is_up(const std::string& ifname, std::string& error) {
  const auto link =
      get_link(sock_.get(), ifname, "cannot read link state of '" + ifname + "'", error);
  if (!link) return std::nullopt;
  const unsigned flags = rtnl_link_get_flags(link.get());
  return (flags & IFF_UP) != 0 && (flags & IFF_RUNNING) != 0;
}

std::optional<unsigned> VipManager::forget_unresolved_neighbours(const std::string& ifname,
                                                                 std::string& error) {
  const auto index = ifindex(sock_.get(), ifname, error);
  if (!index) return std::nullopt;
  nl_cache* raw = nullptr;
  if (const int err = rtnl_neigh_alloc_cache(sock_.get(), &raw); err < 0) {
    error = nl_failure(err, "cannot list the neighbours of " + ifname);
    return std::nullopt;
  }
  const std::unique_ptr<nl_cache, NlCacheFree> cache(raw);
  unsigned deleted = 0;
  for (nl_object* obj = nl_cache_get_first(cache.get()); obj; obj = nl_cache_get_next(obj)) {
    auto* neigh = reinterpret_cast<rtnl_neigh*>(obj);
    const int family = rtnl_neigh_get_family(neigh);
    if (rtnl_neigh_get_ifindex(neigh) != *index || (family != AF_INET && family != AF_INET6)) continue;
    const int state = rtnl_neigh_get_state(neigh);
    if (state < 0 || !neighbour_unresolved(static_cast<unsigned>(state))) continue;
    const int err = rtnl_neigh_delete(sock_.get(), neigh, 0);
    if (err == -NLE_OBJ_NOTFOUND || err == -NLE_NOADDR) continue;  // resolved or expired meanwhile
    if (err < 0) {
      error = nl_failure(err, "cannot delete an unresolved neighbour entry on " + ifname);
      return std::nullopt;
    }
    ++deleted;
  }
  return deleted;
}

}  // namespace tandem::ha
