// Tests for ha/vip/ (VipManager, announcements, link state) and
// ha/announce/route_table on real
// interfaces: a veth pair tdm0 <-> tdm1 inside a throwaway network namespace
// "tdm-vip-<pid>-<n>" that each test creates, enters with setns() for its
// duration, and removes afterwards. Needs root (skipped otherwise, with a
// message). Only 198.18.0.0/24 and, for IPv6, the benchmarking prefix
// 2001:2::/48 (RFC 5180) are used, and only inside that namespace.
#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/if_packet.h>
#include <linux/neighbour.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/ip6.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <sstream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/address.h"
#include "ha/announce/route_table.h"
#include "ha/vip/announce.h"
#include "ha/vip/vip_manager.h"

namespace tandem::ha {
namespace {

namespace ip = boost::asio::ip;
using namespace std::chrono_literals;

boost::test_tools::assertion_result need_root(boost::unit_test::test_unit_id) {
  boost::test_tools::assertion_result ok(true);
  if (geteuid() != 0) {
    ok = false;
    ok.message() << "skipped: VIP tests create a network namespace and need root";
  } else if (std::system("ip -V >/dev/null 2>&1") != 0) {
    ok = false;
    ok.message() << "skipped: VIP tests need the 'ip' tool (iproute2)";
  }
  return ok;
}

// Runs a shell command; true when it exits 0.
bool run(const std::string& command) { return std::system((command + " >/dev/null 2>&1").c_str()) == 0; }

// A shell command's standard output.
std::string output_of(const std::string& command) {
  std::string out;
  if (FILE* pipe = ::popen((command + " 2>/dev/null").c_str(), "r")) {
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof(buf), pipe)) > 0) out.append(buf, n);
    ::pclose(pipe);
  }
  return out;
}

std::size_t count_of(const std::string& haystack, const std::string& needle) {
  std::size_t count = 0;
  for (auto pos = haystack.find(needle); pos != std::string::npos; pos = haystack.find(needle, pos + 1)) ++count;
  return count;
}

bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds limit = 3s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return condition();
}

Prefix prefix(const char* text) {
  std::string error;
  auto p = parse_prefix(text, error);
  BOOST_REQUIRE_MESSAGE(p, error);
  return *p;
}

// A namespace with veth tdm0 <-> tdm1 (both up); this process is inside it
// from construction to destruction.
struct Netns {
  Netns() {
    remove_stale();
    static int counter = 0;
    name = "tdm-vip-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
    BOOST_REQUIRE_MESSAGE(run("ip netns add " + name), "cannot create namespace " + name);
    try {
      original = ::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
      const int target = ::open(("/run/netns/" + name).c_str(), O_RDONLY | O_CLOEXEC);
      const bool ok = original >= 0 && target >= 0 && ::setns(target, CLONE_NEWNET) == 0;
      const int err = errno;
      if (target >= 0) ::close(target);
      BOOST_REQUIRE_MESSAGE(ok, "cannot enter namespace " + name + ": " + std::strerror(err));
      entered = true;
      BOOST_REQUIRE(ip("link add tdm0 type veth peer name tdm1"));
      BOOST_REQUIRE(ip("link set tdm0 up"));
      BOOST_REQUIRE(ip("link set tdm1 up"));
      std::string error;
      auto opened = VipManager::open(error);
      BOOST_REQUIRE_MESSAGE(opened, error);
      vips.emplace(std::move(*opened));
    } catch (...) {
      cleanup();  // never leave the process inside, or the namespace behind
      throw;
    }
  }
  ~Netns() { cleanup(); }

  void cleanup() {
    vips.reset();
    if (entered) ::setns(original, CLONE_NEWNET);
    entered = false;
    if (original >= 0) ::close(original);
    original = -1;
    if (!name.empty()) run("ip netns del " + name);
    name.clear();
  }

  // Removes namespaces "tdm-vip-<pid>-<n>" left by a test run that died
  // (its pid is gone); the prefix is reserved for this test.
  static void remove_stale() {
    std::istringstream list(output_of("ip netns list"));
    std::string line;
    while (std::getline(list, line)) {
      int pid = 0, n = 0;
      char tail = 0;
      const std::string ns = line.substr(0, line.find(' '));
      if (std::sscanf(ns.c_str(), "tdm-vip-%d-%d%c", &pid, &n, &tail) != 2 || pid <= 0) continue;
      if (::kill(pid, 0) != 0 && errno == ESRCH) run("ip netns del " + ns);
    }
  }

  bool ip(const std::string& args) const { return run("ip -n " + name + " " + args); }
  std::string addresses(const char* dev) const {
    return output_of("ip -n " + name + " -o addr show dev " + dev);
  }

  std::string name;
  int original = -1;
  bool entered = false;
  std::optional<VipManager> vips;
};

// A raw packet socket seeing every frame arriving on IFNAME.
struct Capture {
  explicit Capture(const char* ifname) {
    fd = ::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
    BOOST_REQUIRE_MESSAGE(fd >= 0, std::strerror(errno));
    sockaddr_ll at{};
    at.sll_family = AF_PACKET;
    at.sll_protocol = htons(ETH_P_ALL);
    at.sll_ifindex = static_cast<int>(if_nametoindex(ifname));
    BOOST_REQUIRE(at.sll_ifindex > 0);
    BOOST_REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&at), sizeof(at)) == 0);
  }
  ~Capture() { ::close(fd); }

  // The first frame MATCHING within LIMIT, if any.
  std::optional<std::string> wait_for(const std::function<bool(const std::string&)>& matching,
                                      std::chrono::milliseconds limit = 2s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::nullopt;
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      char buf[2048];
      const ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
      if (n <= 0) continue;
      std::string frame(buf, static_cast<std::size_t>(n));
      if (matching(frame)) return frame;
    }
  }

  int fd = -1;
};

std::array<unsigned char, 6> mac_of(const char* ifname) {
  std::array<unsigned char, 6> mac{};
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  BOOST_REQUIRE(fd >= 0);
  ifreq req{};
  std::strncpy(req.ifr_name, ifname, IFNAMSIZ - 1);
  const int rc = ::ioctl(fd, SIOCGIFHWADDR, &req);
  ::close(fd);
  BOOST_REQUIRE_MESSAGE(rc == 0, std::strerror(errno));
  std::memcpy(mac.data(), req.ifr_hwaddr.sa_data, mac.size());
  return mac;
}

// Runs BODY in a child process whose effective set lacks capability BIT;
// returns the error string BODY produced ("" when it succeeded).
std::string without_capability(int bit, const std::function<std::string()>& body) {
  int fds[2];
  BOOST_REQUIRE(::pipe(fds) == 0);
  const pid_t child = ::fork();
  BOOST_REQUIRE(child >= 0);
  if (child == 0) {
    ::close(fds[0]);
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2] = {};
    std::string result = "capget/capset failed";
    if (::syscall(SYS_capget, &header, data) == 0) {
      data[bit / 32].effective &= ~(1u << (bit % 32));
      if (::syscall(SYS_capset, &header, data) == 0) result = body();
    }
    const ssize_t written = ::write(fds[1], result.data(), result.size());
    ::_exit(written == static_cast<ssize_t>(result.size()) ? 0 : 1);
  }
  ::close(fds[1]);
  std::string result;
  char buf[512];
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof(buf))) > 0) result.append(buf, static_cast<std::size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  return result;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(vip_netns, *boost::unit_test::precondition(need_root))

BOOST_AUTO_TEST_CASE(ipv4_add_present_remove_idempotent) {
  Netns ns;
  VipManager& vips = *ns.vips;
  const Prefix vip = prefix("198.18.0.100/24");
  std::string error;
  BOOST_TEST((vips.present("tdm0", vip, error) == std::optional<bool>(false)));
  BOOST_TEST_REQUIRE(vips.add("tdm0", vip, error), error);
  BOOST_TEST((vips.present("tdm0", vip, error) == std::optional<bool>(true)));
  BOOST_TEST((vips.present("tdm1", vip, error) == std::optional<bool>(false)));
  BOOST_TEST((vips.present("tdm0", prefix("198.18.0.100/32"), error) == std::optional<bool>(false)));
  BOOST_TEST_REQUIRE(vips.add("tdm0", vip, error), error);  // already there: success
  const std::string shown = ns.addresses("tdm0");
  BOOST_TEST(count_of(shown, "198.18.0.100/24") == 1u, shown);
  BOOST_TEST(shown.find("tdm0:tdm") != std::string::npos, shown);  // the label
  BOOST_TEST_REQUIRE(vips.remove("tdm0", vip, error), error);
  BOOST_TEST((vips.present("tdm0", vip, error) == std::optional<bool>(false)));
  BOOST_TEST(count_of(ns.addresses("tdm0"), "198.18.0.100") == 0u);
  BOOST_TEST_REQUIRE(vips.remove("tdm0", vip, error), error);  // already gone: success
}

BOOST_AUTO_TEST_CASE(ipv6_add_present_remove_idempotent) {
  Netns ns;
  VipManager& vips = *ns.vips;
  const Prefix vip = prefix("2001:2::100/64");
  std::string error;
  BOOST_TEST_REQUIRE(vips.add("tdm0", vip, error), error);
  BOOST_TEST_REQUIRE(vips.add("tdm0", vip, error), error);
  BOOST_TEST((vips.present("tdm0", vip, error) == std::optional<bool>(true)));
  const std::string shown = ns.addresses("tdm0");
  BOOST_TEST(count_of(shown, "2001:2::100/64") == 1u, shown);
  const auto line_start = shown.find("2001:2::100/64");
  const auto line = shown.substr(line_start, shown.find('\n', line_start) - line_start);
  BOOST_TEST(line.find("tentative") == std::string::npos, line);  // NODAD: usable at once
  BOOST_TEST_REQUIRE(vips.remove("tdm0", vip, error), error);
  BOOST_TEST((vips.present("tdm0", vip, error) == std::optional<bool>(false)));
  BOOST_TEST_REQUIRE(vips.remove("tdm0", vip, error), error);
}

BOOST_AUTO_TEST_CASE(errors_say_what_to_do) {
  Netns ns;
  VipManager& vips = *ns.vips;
  std::string error;
  BOOST_TEST(!vips.add("eth9", prefix("198.18.0.100/24"), error));
  BOOST_TEST(error.find("no interface 'eth9'") != std::string::npos, error);
  error.clear();
  BOOST_TEST(!vips.remove("eth9", prefix("198.18.0.100/24"), error));
  BOOST_TEST(error.find("no interface 'eth9'") != std::string::npos, error);
  error.clear();
  BOOST_TEST(!vips.present("eth9", prefix("198.18.0.100/24"), error).has_value());
  BOOST_TEST(error.find("no interface 'eth9'") != std::string::npos, error);
  error.clear();
  BOOST_TEST(!vips.add("an-interface-name-too-long", prefix("198.18.0.100/24"), error));
  BOOST_TEST(error.find("no interface") != std::string::npos, error);

  const std::string denied = without_capability(CAP_NET_ADMIN, [] {
    std::string e;
    auto m = VipManager::open(e);
    if (m && m->add("tdm0", prefix("198.18.0.100/24"), e)) return std::string();
    return e;
  });
  BOOST_TEST(denied.find("permission denied: run as root or with CAP_NET_ADMIN") == 0u, denied);
  BOOST_TEST(count_of(ns.addresses("tdm0"), "198.18.0.100") == 0u);
}

BOOST_AUTO_TEST_CASE(leftovers_removed_operator_addresses_kept) {
  Netns ns;
  VipManager& vips = *ns.vips;
  std::string error;
  BOOST_REQUIRE(ns.ip("addr add 198.18.0.1/24 dev tdm0"));  // the host's own address
  BOOST_REQUIRE(vips.add("tdm0", prefix("198.18.0.100/24"), error));  // configured VIP
  BOOST_REQUIRE(vips.add("tdm0", prefix("198.18.0.101/32"), error));  // since dropped from config
  BOOST_REQUIRE(vips.add("tdm0", prefix("2001:2::100/64"), error));   // configured IPv6 VIP
  const auto removed = vips.remove_leftovers(
      "tdm0", {prefix("198.18.0.100/24"), prefix("2001:2::100/64"), prefix("198.18.0.200/24")}, error);
  BOOST_REQUIRE_MESSAGE(removed, error);
  BOOST_TEST(removed->size() == 3u);
  const std::string shown = ns.addresses("tdm0");
  BOOST_TEST(shown.find("198.18.0.1/24") != std::string::npos, shown);
  BOOST_TEST(shown.find("198.18.0.100") == std::string::npos, shown);
  BOOST_TEST(shown.find("198.18.0.101") == std::string::npos, shown);
  BOOST_TEST(shown.find("2001:2::100") == std::string::npos, shown);
  const auto again = vips.remove_leftovers("tdm0", {prefix("198.18.0.100/24")}, error);
  BOOST_REQUIRE(again);
  BOOST_TEST(again->empty());
}

BOOST_AUTO_TEST_CASE(gratuitous_arp_leaves_the_interface) {
  Netns ns;
  const auto vip = ip::make_address_v4("198.18.0.100");
  const auto mac = mac_of("tdm0");
  Capture capture("tdm1");
  std::string error;
  BOOST_TEST_REQUIRE(send_gratuitous_arp("tdm0", vip, error), error);
  const auto frame = capture.wait_for([](const std::string& f) {
    return f.size() >= 42 && static_cast<unsigned char>(f[12]) == 0x08 && f[13] == 0x06;
  });
  BOOST_REQUIRE_MESSAGE(frame, "no ARP frame arrived on tdm1");
  const auto* b = reinterpret_cast<const unsigned char*>(frame->data());
  for (int i = 0; i < 6; ++i) BOOST_TEST(b[i] == 0xffu);          // broadcast
  BOOST_TEST(std::memcmp(b + 6, mac.data(), 6) == 0);              // from tdm0
  BOOST_TEST((b[14 + 6] << 8 | b[14 + 7]) == 1);                   // request
  BOOST_TEST(std::memcmp(b + 14 + 8, mac.data(), 6) == 0);         // sender MAC
  const auto vip_bytes = vip.to_bytes();
  BOOST_TEST(std::memcmp(b + 14 + 14, vip_bytes.data(), 4) == 0);  // sender IP = VIP
  BOOST_TEST(std::memcmp(b + 14 + 24, vip_bytes.data(), 4) == 0);  // target IP = VIP

  BOOST_TEST(!send_gratuitous_arp("lo", vip, error));
  BOOST_TEST(error.find("not Ethernet") != std::string::npos, error);
  BOOST_TEST(!send_gratuitous_arp("eth9", vip, error));
  BOOST_TEST(error.find("no interface 'eth9'") != std::string::npos, error);
  const std::string denied = without_capability(CAP_NET_RAW, [&] {
    std::string e;
    return send_gratuitous_arp("tdm0", vip, e) ? std::string() : e;
  });
  BOOST_TEST(denied.find("permission denied: run as root or with CAP_NET_RAW") == 0u, denied);
}

BOOST_AUTO_TEST_CASE(unsolicited_na_leaves_the_interface) {
  Netns ns;
  const auto vip = ip::make_address_v6("2001:2::100");
  const auto mac = mac_of("tdm0");
  std::string error;
  BOOST_TEST(!send_unsolicited_na("tdm0", vip, error));  // VIP not on the interface yet
  BOOST_TEST(error.find("add the VIP") != std::string::npos, error);
  BOOST_REQUIRE(ns.vips->add("tdm0", prefix("2001:2::100/64"), error));
  Capture capture("tdm1");
  BOOST_TEST_REQUIRE(send_unsolicited_na("tdm0", vip, error), error);
  const auto target = vip.to_bytes();
  const auto frame = capture.wait_for([&](const std::string& f) {
    if (f.size() < 14 + 40 + 32) return false;
    const auto* b = reinterpret_cast<const unsigned char*>(f.data());
    return b[12] == 0x86 && b[13] == 0xdd && b[14 + 6] == IPPROTO_ICMPV6 &&
           b[14 + 40] == ND_NEIGHBOR_ADVERT && std::memcmp(b + 14 + 48, target.data(), 16) == 0;
  });
  BOOST_REQUIRE_MESSAGE(frame, "no neighbour advertisement arrived on tdm1");
  const auto* b = reinterpret_cast<const unsigned char*>(frame->data());
  const unsigned char all_nodes_mac[6] = {0x33, 0x33, 0, 0, 0, 1};
  BOOST_TEST(std::memcmp(b, all_nodes_mac, 6) == 0);
  BOOST_TEST(std::memcmp(b + 6, mac.data(), 6) == 0);
  BOOST_TEST(b[14 + 7] == 255u);                                  // hop limit
  BOOST_TEST(std::memcmp(b + 14 + 8, target.data(), 16) == 0);   // source = VIP
  in6_addr all_nodes{};
  inet_pton(AF_INET6, "ff02::1", &all_nodes);
  BOOST_TEST(std::memcmp(b + 14 + 24, &all_nodes, 16) == 0);     // to ff02::1
  const unsigned char* icmp = b + 14 + 40;
  BOOST_TEST((icmp[4] & 0x20) != 0);                              // override
  BOOST_TEST((icmp[4] & 0x40) == 0);                              // not solicited
  BOOST_TEST(icmp[24] == ND_OPT_TARGET_LINKADDR);
  BOOST_TEST(std::memcmp(icmp + 26, mac.data(), 6) == 0);
}

BOOST_AUTO_TEST_CASE(link_is_up_follows_the_link) {
  Netns ns;
  VipManager& vips = *ns.vips;
  std::string error;
  auto up = [&](const char* dev) { return vips.link_is_up(dev, error) == std::optional<bool>(true); };
  auto down = [&](const char* dev) { return vips.link_is_up(dev, error) == std::optional<bool>(false); };
  BOOST_TEST(wait_until([&] { return up("tdm0"); }), error);
  BOOST_REQUIRE(ns.ip("link set tdm1 down"));  // peer gone: tdm0 loses carrier
  BOOST_TEST(wait_until([&] { return down("tdm0"); }));
  BOOST_REQUIRE(ns.ip("link set tdm1 up"));
  BOOST_TEST(wait_until([&] { return up("tdm0"); }));
  BOOST_REQUIRE(ns.ip("link set tdm0 down"));  // administratively down
  BOOST_TEST(wait_until([&] { return down("tdm0"); }));
  BOOST_TEST(!vips.link_is_up("eth9", error).has_value());
  BOOST_TEST(error.find("no interface 'eth9'") != std::string::npos, error);
}

BOOST_AUTO_TEST_CASE(unresolved_neighbours_are_forgotten_resolved_ones_kept) {
  Netns ns;
  VipManager& vips = *ns.vips;
  BOOST_REQUIRE(ns.ip("neigh add 198.18.0.7 dev tdm0 nud incomplete"));
  BOOST_REQUIRE(ns.ip("neigh add 198.18.0.8 dev tdm0 nud failed"));
  BOOST_REQUIRE(ns.ip("neigh add 2001:2::8 dev tdm0 nud failed"));
  BOOST_REQUIRE(ns.ip("neigh add 198.18.0.9 dev tdm0 lladdr 02:00:00:00:00:09 nud stale"));
  BOOST_REQUIRE(ns.ip("neigh add 198.18.0.10 dev tdm0 lladdr 02:00:00:00:00:0a nud permanent"));
  BOOST_REQUIRE(ns.ip("neigh add 198.18.0.7 dev tdm1 nud incomplete"));  // another interface
  std::string error;
  const auto deleted = vips.forget_unresolved_neighbours("tdm0", error);
  BOOST_REQUIRE_MESSAGE(deleted, error);
  BOOST_TEST(*deleted == 3u);
  const std::string left0 = output_of("ip -n " + ns.name + " neigh show dev tdm0");
  BOOST_TEST(left0.find("198.18.0.7 ") == std::string::npos, left0);
  BOOST_TEST(left0.find("198.18.0.8 ") == std::string::npos, left0);
  BOOST_TEST(left0.find("2001:2::8 ") == std::string::npos, left0);
  BOOST_TEST(left0.find("198.18.0.9 ") != std::string::npos, left0);
  BOOST_TEST(left0.find("198.18.0.10 ") != std::string::npos, left0);
  const std::string left1 = output_of("ip -n " + ns.name + " neigh show dev tdm1");
  BOOST_TEST(left1.find("198.18.0.7 ") != std::string::npos, left1);
  const auto again = vips.forget_unresolved_neighbours("tdm0", error);
  BOOST_TEST((again && *again == 0u), error);
  BOOST_TEST(!vips.forget_unresolved_neighbours("eth9", error).has_value());
  BOOST_TEST(error.find("no interface 'eth9'") != std::string::npos, error);
}

// ha.announce's kernel side (ha/announce/route_table): host routes for
// both families in their own table, pointing at the interface, added and
// removed idempotently; the main table is never touched.
BOOST_AUTO_TEST_CASE(announced_routes_of_both_families_go_to_their_table) {
  Netns ns;
  std::string error;
  auto table = RouteTable::open(200, "tdm0", error);
  BOOST_TEST_REQUIRE(table.has_value(), error);
  const std::vector<Prefix> vips{prefix("198.18.0.200/32"), prefix("2001:2::200/128")};
  const auto shown = [&] {
    return output_of("ip -n " + ns.name + " -4 route show table 200") +
           output_of("ip -n " + ns.name + " -6 route show table 200");
  };
  BOOST_TEST_REQUIRE(table->add(vips, error), error);
  BOOST_TEST_REQUIRE(table->add(vips, error), error);  // again: replaced, not doubled
  const auto routes = shown();
  BOOST_TEST(count_of(routes, "198.18.0.200 dev tdm0 proto static scope link") == 1u, routes);
  BOOST_TEST(count_of(routes, "2001:2::200 dev tdm0 proto static") == 1u, routes);
  const auto main_table = output_of("ip -n " + ns.name + " route show") + output_of("ip -n " + ns.name + " -6 route show");
  BOOST_TEST(main_table.find("198.18.0.200") == std::string::npos, main_table);
  BOOST_TEST(main_table.find("2001:2::200") == std::string::npos, main_table);
  BOOST_TEST_REQUIRE(table->remove(vips, error), error);
  BOOST_TEST(shown().find("200") == std::string::npos, shown());
  BOOST_TEST_REQUIRE(table->remove(vips, error), error);  // already gone: success
  // An interface that is not there: the error names the setting to fix.
  auto wrong = RouteTable::open(200, "nosuch0", error);
  BOOST_TEST_REQUIRE(wrong.has_value(), error);
  BOOST_TEST(!wrong->add(vips, error));
  BOOST_TEST(error.find("ha.announce.interface") != std::string::npos, error);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_CASE(neighbour_unresolved_means_incomplete_or_failed) {
  BOOST_TEST(neighbour_unresolved(NUD_INCOMPLETE));
  BOOST_TEST(neighbour_unresolved(NUD_FAILED));
  for (const unsigned resolved : {unsigned{NUD_REACHABLE}, unsigned{NUD_STALE}, unsigned{NUD_DELAY},
                                  unsigned{NUD_PROBE}, unsigned{NUD_PERMANENT}, unsigned{NUD_NOARP}, 0u})
    BOOST_TEST(!neighbour_unresolved(resolved), resolved);
}

}  // namespace tandem::ha
