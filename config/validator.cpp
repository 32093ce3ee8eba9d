#include "config/validator.h"

#include <sys/un.h>

#include <algorithm>
#include <array>
#include <map>
#include <set>

#include "common/address.h"
#include "config/defaults.h"
#include "config/source_position.h"

namespace tandem::config {

namespace {

constexpr std::uint32_t kMaxWeight = 256;
constexpr std::uint32_t kMinAdvertMs = 10;
constexpr std::uint32_t kMaxAdvertMs = 10000;
// A unix socket's path must fit sockaddr_un::sun_path with its NUL: bind()
// fails on a longer one with ENAMETOOLONG ("File name too long").
constexpr std::size_t kMaxUnixPathBytes = sizeof(sockaddr_un::sun_path) - 1;

// Whether ADDRESS lies in the network of PREFIX (same family, same first
// PREFIX.length bits).
bool in_network(const boost::asio::ip::address& address, const Prefix& prefix) {
  if (address.is_v4() != prefix.address.is_v4()) return false;
  auto bytes_of = [](const boost::asio::ip::address& a) {
    std::array<unsigned char, 16> out{};
    if (a.is_v4()) {
      const auto b = a.to_v4().to_bytes();
      std::copy(b.begin(), b.end(), out.begin());
    } else {
      out = a.to_v6().to_bytes();
    }
    return out;
  };
  const auto a = bytes_of(address);
  const auto p = bytes_of(prefix.address);
  for (unsigned bit = 0; bit < prefix.length; ++bit) {
    const unsigned mask = 0x80u >> (bit % 8);
    if ((a[bit / 8] & mask) != (p[bit / 8] & mask)) return false;
  }
  return true;
}

// Accumulates problems while walking the cluster.
class Checker {
 public:
  Checker(const Cluster& cluster, const std::string& filename,
          const google::protobuf::TextFormat::ParseInfoTree* locations)
      : cluster_(cluster), root_(filename, locations, Cluster::descriptor(), filename) {}

  std::vector<Problem> run() {
    if (cluster_.name().empty()) fail(root_.self(), "the cluster has no name: add `name: \"my-cluster\"`");
    check_nodes();
    check_pools();
    check_listeners();
    check_ha();
    check_sync();
    check_access_log();
    return std::move(problems_);
  }

 private:
  void fail(std::string where, std::string message) { problems_.push_back({std::move(where), std::move(message)}); }

  // Requires NAME to be non-empty and unique among SEEN; KIND names the section.
  void check_name(const std::string& name, std::set<std::string>& seen, const SourcePosition& pos,
                  const char* kind) {
    if (name.empty()) {
      fail(pos.self(), std::string("a ") + kind + " has no name: add `name: \"...\"`");
    } else if (!seen.insert(name).second) {
      fail(pos.at("name"), std::string("duplicate ") + kind + " name '" + name + "'");
    }
  }

  void check_host_port(const std::string& text, const SourcePosition& pos, const char* field,
                       bool required) {
    if (text.empty()) {
      if (required) fail(pos.self(), std::string("`") + field + "` is missing (write ip:port)");
      return;
    }
    std::string error;
    if (!parse_host_port(text, error)) fail(pos.at(field), std::string(field) + ": " + error);
  }

  void check_unix_path(const std::string& path, const SourcePosition& pos, const char* field) {
    if (path.size() <= kMaxUnixPathBytes) return;
    fail(pos.at(field), std::string(field) + ": the path is " + std::to_string(path.size()) +
                            " bytes; a unix socket path holds at most " + std::to_string(kMaxUnixPathBytes) +
                            " (sun_path): choose a shorter one, e.g. under /run/tandem/");
  }

  // A VIP is announced (gratuitous ARP, neighbour advertisement) on the LAN
  // of the nodes that run its instance: at least one of them must have its
  // address in the VIP's network, or the VIP is on a subnet no node is on. A
  // host VIP (/32, /128) names no network, so it is not checked: a router
  // may route it to the nodes. Nor is a VIP of another family than the
  // nodes' addresses.
  void check_vip_subnet(const Instance& inst, const Prefix& vip, const std::string& text, const std::string& where) {
    const unsigned host_length = vip.address.is_v4() ? 32 : 128;
    if (vip.length >= host_length) return;
    std::string nodes;
    for (const auto& np : inst.priorities()) {
      for (const auto& node : cluster_.nodes()) {
        if (node.name() != np.node()) continue;
        std::string error;
        const auto address = parse_prefix(node.address(), error);
        if (!address) continue;  // reported with the node
        // An IPv6 VIP beside IPv4 node addresses (dual stack): the file does
        // not say the nodes' IPv6 subnet, so there is nothing to compare.
        if (address->address.is_v4() != vip.address.is_v4()) continue;
        if (in_network(address->address, vip)) return;
        nodes += (nodes.empty() ? "" : ", ") + node.name() + " " + node.address();
      }
    }
    if (nodes.empty()) return;  // no usable node: reported elsewhere
    fail(where, "instance '" + inst.name() + "': vip " + text + " is outside the subnet of every node that runs it (" +
                    nodes + "): no node could announce it on its LAN; give the VIP the LAN's prefix");
  }

  void check_nodes() {
    if (cluster_.nodes_size() == 0) fail(root_.self(), "no nodes: add at least one `nodes { name: ... address: ... }`");
    std::set<std::string> names;
    std::set<std::string> addresses;
    for (int i = 0; i < cluster_.nodes_size(); ++i) {
      const auto& node = cluster_.nodes(i);
      const auto pos = root_.in("nodes", i);
      check_name(node.name(), names, pos, "node");
      if (node.address().empty()) {
        fail(pos.self(), "node '" + node.name() + "' has no `address` (its LAN IP)");
      } else {
        std::string error;
        if (!parse_prefix(node.address(), error) || node.address().find('/') != std::string::npos) {
          fail(pos.at("address"), "address: '" + node.address() + "' is not an IP address");
        } else if (!addresses.insert(node.address()).second) {
          fail(pos.at("address"), "address " + node.address() + " is used by two nodes");
        }
      }
      check_unix_path(node.local_channel(), pos, "local_channel");
      check_unix_path(node.control_socket(), pos, "control_socket");
      check_host_port(node.proxy_admin(), pos, "proxy_admin", false);
      check_host_port(node.agent_admin(), pos, "agent_admin", false);
      if (node.workers() > 256) fail(pos.at("workers"), "workers: " + std::to_string(node.workers()) + " is more than 256");
      for (int j = 0; j < node.bind_overrides_size(); ++j) {
        const auto& override_text = node.bind_overrides(j);
        const auto eq = override_text.find('=');
        if (eq == std::string::npos) {
          fail(pos.at("bind_overrides", j), "bind_overrides: write \"LISTENER=ip:port\"");
          continue;
        }
        const auto listener = override_text.substr(0, eq);
        bool found = false;
        for (const auto& l : cluster_.listeners()) found = found || l.name() == listener;
        if (!found) fail(pos.at("bind_overrides", j), "bind_overrides: unknown listener '" + listener + "'");
        std::string error;
        if (!parse_host_port(override_text.substr(eq + 1), error)) {
          fail(pos.at("bind_overrides", j), "bind_overrides: " + error);
        }
      }
    }
  }

  void check_key(const Key& key, const SourcePosition& pos, const std::string& pool) {
    if ((key.kind() == Key::HEADER || key.kind() == Key::COOKIE) && key.name().empty()) {
      fail(pos.self(), "pool '" + pool + "': a HEADER or COOKIE key needs `name`");
    }
  }

  void check_pools() {
    std::set<std::string> names;
    for (int i = 0; i < cluster_.pools_size(); ++i) {
      const auto& pool = cluster_.pools(i);
      const auto pos = root_.in("pools", i);
      check_name(pool.name(), names, pos, "pool");
      pool_names_.insert(pool.name());
      if (pool.servers_size() == 0 && !pool.has_dns() && !pool.has_etcd()) {
        fail(pos.self(), "pool '" + pool.name() +
                             "' has no servers (list `servers`, or discover them with `dns { ... }` or `etcd { ... }`)");
      }
      if (pool.has_dns()) check_dns(pool.dns(), pos.in("dns"), pool.name());
      if (pool.has_etcd() && pool.has_dns()) {
        fail(pos.at("etcd"), "pool '" + pool.name() + "' has both `dns` and `etcd`: a pool takes its servers from one source");
      }
      if (pool.has_etcd()) check_etcd(pool.etcd(), pos.in("etcd"), pool.name());
      std::set<std::string> server_names;
      for (int j = 0; j < pool.servers_size(); ++j) {
        const auto& server = pool.servers(j);
        const auto spos = pos.in("servers", j);
        check_name(server.name(), server_names, spos, "server");
        check_host_port(server.address(), spos, "address", true);
        if (server.has_weight() && (server.weight() < 1 || server.weight() > kMaxWeight)) {
          fail(spos.at("weight"), "server '" + server.name() + "': weight " + std::to_string(server.weight()) +
                                      " is out of range (1-256; set `state: MAINTENANCE` to take it out)");
        }
      }
      if (pool.algorithm() == CONSISTENT_HASH && !pool.has_hash_key()) {
        fail(pos.at("algorithm"), "pool '" + pool.name() +
                                      "': CONSISTENT_HASH needs `hash_key { kind: SOURCE_IP | HEADER | COOKIE | URI }`");
      }
      if (pool.has_hash_key()) check_key(pool.hash_key(), pos.in("hash_key"), pool.name());
      if (pool.has_health_check()) check_health(pool.health_check(), pos.in("health_check"), pool.name());
      if (pool.has_stickiness()) {
        const auto& s = pool.stickiness();
        if ((s.kind() == Stickiness::LEARN_COOKIE || s.kind() == Stickiness::INSERT_COOKIE) && s.cookie().empty()) {
          fail(pos.in("stickiness").self(), "pool '" + pool.name() + "': cookie stickiness needs `cookie: \"NAME\"`");
        }
      }
    }
  }

  // DNS discovery (docs/discovery.md "DNS"): a name to ask, a port for
  // A/AAAA answers, a resolver address that parses, TTL bounds in order.
  void check_dns(const PoolDns& dns, const SourcePosition& pos, const std::string& pool) {
    const std::string who = "pool '" + pool + "': dns ";
    if (dns.name().empty() || dns.name().size() > 253 || dns.name().find_first_of(" \t\\\"") != std::string::npos) {
      fail(dns.name().empty() ? pos.self() : pos.at("name"), who + "needs `name: \"HOST\"` (at most 253 characters, no spaces)");
    }
    if (dns.type() == PoolDns::SRV) {
      if (dns.port() != 0) fail(pos.at("port"), who + "port is taken from the SRV records; remove `port`");
    } else if (dns.port() == 0 || dns.port() > 65535) {
      fail(dns.port() ? pos.at("port") : pos.self(), who + "A/AAAA needs `port` (1-65535): the servers' port");
    }
    if (!dns.resolver().empty()) {
      std::string error;
      auto hp = parse_host_port(dns.resolver(), error);
      if (!hp) fail(pos.at("resolver"), who + "resolver: " + error + " (write \"ip:port\", e.g. \"127.0.0.1:53\")");
    }
    const std::uint32_t min_ttl = dns.min_ttl_ms() ? dns.min_ttl_ms() : 1000;
    const std::uint32_t max_ttl = dns.max_ttl_ms() ? dns.max_ttl_ms() : 300000;
    if (dns.min_ttl_ms() && dns.min_ttl_ms() < 100) fail(pos.at("min_ttl_ms"), who + "min_ttl_ms must be at least 100");
    if (max_ttl < min_ttl) {
      fail(pos.at(dns.max_ttl_ms() ? "max_ttl_ms" : "min_ttl_ms"),
           who + "max_ttl_ms " + std::to_string(max_ttl) + " is below min_ttl_ms " + std::to_string(min_ttl));
    }
    if (dns.timeout_ms() > 60000) fail(pos.at("timeout_ms"), who + "timeout_ms must be at most 60000");
  }

  // etcd discovery (docs/discovery.md "etcd"): members to ask, a prefix
  // that is not the whole key space, delays in order.
  void check_etcd(const PoolEtcd& etcd, const SourcePosition& pos, const std::string& pool) {
    const std::string who = "pool '" + pool + "': etcd ";
    if (etcd.endpoints().empty()) {
      fail(pos.self(), who + "needs `endpoints: \"HOST:PORT\"` (an etcd member's client address, e.g. \"127.0.0.1:2379\")");
    }
    for (int i = 0; i < etcd.endpoints_size(); ++i) {
      const auto& e = etcd.endpoints(i);
      const auto colon = e.rfind(':');
      const auto host = colon == std::string::npos ? std::string() : e.substr(0, colon);
      const auto port = colon == std::string::npos ? std::string() : e.substr(colon + 1);
      const bool port_ok = !port.empty() && port.size() <= 5 &&
                           std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
                           std::stoul(port) >= 1 && std::stoul(port) <= 65535;
      if (host.empty() || !port_ok || e.find_first_of(" \t/\"") != std::string::npos) {
        fail(pos.at("endpoints", i), who + "endpoint \"" + e +
                                         "\" is not HOST:PORT (write e.g. \"127.0.0.1:2379\" or \"etcd1.internal:2379\", no scheme)");
      }
    }
    if (etcd.prefix().empty()) {
      fail(pos.self(), who + "needs `prefix: \"/KEY/PREFIX/\"`: the keys under it are the pool's servers");
    } else if (etcd.prefix().size() > 1024) {
      fail(pos.at("prefix"), who + "prefix is longer than 1024 bytes");
    }
    if (etcd.timeout_ms() > 60000) fail(pos.at("timeout_ms"), who + "timeout_ms must be at most 60000");
    if (etcd.retry_min_ms() && etcd.retry_min_ms() < 10) fail(pos.at("retry_min_ms"), who + "retry_min_ms must be at least 10");
    const std::uint32_t retry_min = etcd.retry_min_ms() ? etcd.retry_min_ms() : 500;
    const std::uint32_t retry_max = etcd.retry_max_ms() ? etcd.retry_max_ms() : 10000;
    if (retry_max < retry_min) {
      fail(pos.at(etcd.retry_max_ms() ? "retry_max_ms" : "retry_min_ms"),
           who + "retry_max_ms " + std::to_string(retry_max) + " is below retry_min_ms " + std::to_string(retry_min));
    }
    if (etcd.retry_max_ms() > 300000) fail(pos.at("retry_max_ms"), who + "retry_max_ms must be at most 300000");
  }

  void check_health(const HealthCheck& hc, const SourcePosition& pos, const std::string& pool) {
    const std::uint32_t interval = hc.interval_ms() ? hc.interval_ms() : 2000;
    const std::uint32_t timeout = hc.timeout_ms() ? hc.timeout_ms() : 1000;
    if (timeout > interval) {
      fail(pos.at("timeout_ms"), "pool '" + pool + "': health check timeout_ms " + std::to_string(timeout) +
                                     " exceeds interval_ms " + std::to_string(interval));
    }
    if (hc.expect_status() && (hc.expect_status() < 100 || hc.expect_status() > 599)) {
      fail(pos.at("expect_status"), "pool '" + pool + "': expect_status must be 100-599");
    }
    if (!hc.path().empty() && hc.path().front() != '/') {
      fail(pos.at("path"), "pool '" + pool + "': health check path must start with '/'");
    }
  }

  // HTTP/2 options (docs/http2.md): only on HTTP listeners, windows within
  // RFC 9113's 2^31-1, and a stream limit a client can use.
  void check_http2(const Listener& listener, const SourcePosition& pos) {
    const auto& h2 = listener.http2();
    const std::string who = "listener '" + listener.name() + "': http2 ";
    if (listener.mode() == TCP) fail(pos.self(), who + "applies only to HTTP listeners (mode: HTTP)");
    if (h2.max_concurrent_streams() > 10000) fail(pos.at("max_concurrent_streams"), who + "max_concurrent_streams must be 1-10000");
    if (h2.initial_window_bytes() > kMaxHttp2Window) {
      fail(pos.at("initial_window_bytes"), who + "initial_window_bytes must be at most 2147483647 (RFC 9113 §6.9.1)");
    }
    if (h2.connection_window_bytes() > kMaxHttp2Window) {
      fail(pos.at("connection_window_bytes"), who + "connection_window_bytes must be at most 2147483647 (RFC 9113 §6.9.1)");
    }
    if (h2.connection_window_bytes() && h2.connection_window_bytes() < 65535) {
      fail(pos.at("connection_window_bytes"), who + "connection_window_bytes must be at least 65535 (RFC 9113's initial window)");
    }
    if (h2.max_header_frames() > 1000) fail(pos.at("max_header_frames"), who + "max_header_frames must be 1-1000");
  }

  void check_listeners() {
    std::set<std::string> names;
    std::set<std::string> binds;
    for (int i = 0; i < cluster_.listeners_size(); ++i) {
      const auto& listener = cluster_.listeners(i);
      const auto pos = root_.in("listeners", i);
      check_name(listener.name(), names, pos, "listener");
      check_host_port(listener.bind(), pos, "bind", true);
      if (!listener.bind().empty() && !binds.insert(listener.bind()).second) {
        fail(pos.at("bind"), "listener '" + listener.name() + "': " + listener.bind() + " is bound by another listener");
      }
      for (int j = 0; j < listener.accept_proxy().trusted_sources_size(); ++j) {
        std::string error;
        if (!parse_prefix(listener.accept_proxy().trusted_sources(j), error)) {
          fail(pos.in("accept_proxy").at("trusted_sources", j), "accept_proxy.trusted_sources: " + error);
        }
      }
      if (listener.has_accept_proxy() && listener.accept_proxy().trusted_sources_size() == 0) {
        fail(pos.at("accept_proxy"), "listener '" + listener.name() +
                                         "': accept_proxy needs trusted_sources (the balancers allowed to send PROXY headers)");
      }
      if (listener.mode() == MODE_UNSPECIFIED) {
        fail(pos.self(), "listener '" + listener.name() + "' has no `mode` (HTTP or TCP)");
      }
      if (listener.has_http2()) check_http2(listener, pos.in("http2"));
      if (listener.pool().empty()) {
        fail(pos.self(), "listener '" + listener.name() + "' has no `pool`");
      } else if (!pool_names_.count(listener.pool())) {
        fail(pos.at("pool"), "listener '" + listener.name() + "' points to unknown pool '" + listener.pool() + "'");
      } else if (listener.mode() == TCP) {
        for (const auto& pool : cluster_.pools()) {
          if (pool.name() == listener.pool() && pool.has_tls()) {
            fail(pos.at("pool"), "listener '" + listener.name() + "' is TCP but pool '" + pool.name() +
                                     "' speaks TLS to its servers (`tls`), which only HTTP listeners do; "
                                     "use an HTTP listener, or a pool without `tls` (the bytes then pass as they are)");
          }
          if (pool.name() != listener.pool() || !pool.has_stickiness()) continue;
          const auto kind = pool.stickiness().kind();
          if (kind == Stickiness::LEARN_COOKIE || kind == Stickiness::INSERT_COOKIE) {
            fail(pos.at("pool"), "listener '" + listener.name() + "' is TCP but pool '" + pool.name() +
                                     "' sticks by cookie; use SOURCE_IP stickiness or an HTTP listener");
          }
        }
      }
    }
  }

  void check_ha() {
    if (!cluster_.has_ha()) return;
    const auto& ha = cluster_.ha();
    const auto pos = root_.in("ha");
    if (ha.instances_size() > 0 && ha.key_file().empty()) {
      fail(pos.self(), "ha: `key_file` is missing; adverts are signed with a shared key");
    }
    if (!ha.multicast_group().empty()) {
      std::string error;
      auto group = parse_prefix(ha.multicast_group(), error);
      if (!group || !group->address.is_multicast()) {
        fail(pos.at("multicast_group"), "ha: multicast_group '" + ha.multicast_group() + "' is not a multicast address");
      }
    }
    if (ha.port() > 65535) fail(pos.at("port"), "ha: port out of range");
    std::set<std::string> names;
    std::set<std::uint32_t> ids;
    std::set<std::string> node_names;
    for (const auto& n : cluster_.nodes()) node_names.insert(n.name());
    for (int i = 0; i < ha.instances_size(); ++i) {
      const auto& inst = ha.instances(i);
      const auto ipos = pos.in("instances", i);
      check_name(inst.name(), names, ipos, "instance");
      if (inst.id() < 1 || inst.id() > 255) {
        fail(ipos.at("id"), "instance '" + inst.name() + "': id must be 1-255");
      } else if (!ids.insert(inst.id()).second) {
        fail(ipos.at("id"), "instance '" + inst.name() + "': id " + std::to_string(inst.id()) + " is used twice");
      }
      if (inst.vips_size() == 0) fail(ipos.self(), "instance '" + inst.name() + "' has no `vips`");
      for (int j = 0; j < inst.vips_size(); ++j) {
        std::string error;
        const auto vip = parse_prefix(inst.vips(j), error);
        if (!vip) {
          fail(ipos.at("vips", j), "instance '" + inst.name() + "': vip " + error);
        } else {
          check_vip_subnet(inst, *vip, inst.vips(j), ipos.at("vips", j));
        }
      }
      if (inst.advert_interval_ms() != 0 &&
          (inst.advert_interval_ms() < kMinAdvertMs || inst.advert_interval_ms() > kMaxAdvertMs)) {
        fail(ipos.at("advert_interval_ms"), "instance '" + inst.name() + "': advert_interval_ms must be 10-10000");
      }
      if (inst.priorities_size() == 0) {
        fail(ipos.self(), "instance '" + inst.name() + "' has no `priorities { node: ... priority: ... }`");
      }
      std::set<std::string> seen_nodes;
      for (int j = 0; j < inst.priorities_size(); ++j) {
        const auto& np = inst.priorities(j);
        const auto ppos = ipos.in("priorities", j);
        if (!node_names.count(np.node())) {
          fail(ppos.at("node"), "instance '" + inst.name() + "': unknown node '" + np.node() + "'");
        } else if (!seen_nodes.insert(np.node()).second) {
          fail(ppos.at("node"), "instance '" + inst.name() + "': node '" + np.node() + "' has two priorities");
        }
        if (np.priority() < 1 || np.priority() > 254) {
          fail(ppos.at("priority"), "instance '" + inst.name() + "': priority must be 1-254");
        }
      }
    }
    for (int i = 0; i < ha.track_scripts_size(); ++i) {
      const auto& ts = ha.track_scripts(i);
      const auto tpos = pos.in("track_scripts", i);
      std::set<std::string> ignored;
      if (ts.name().empty()) fail(tpos.self(), "a track script has no name");
      if (ts.command().empty()) fail(tpos.self(), "track script '" + ts.name() + "' has no `command`");
    }
    if (ha.has_announce()) check_announce(ha.announce(), pos.in("announce"));
  }

  // ha.announce (every node active behind BGP, docs/scaling.md).
  void check_announce(const RouteAnnounce& a, const SourcePosition& pos) {
    if (cluster_.ha().key_file().empty())
      fail(pos.self(), "ha.announce needs ha.key_file: lbctl drain NODE is a signed request");
    if (a.vips_size() == 0) fail(pos.self(), "ha.announce has no `vips` (\"198.18.0.200/32\")");
    std::set<std::string> seen;
    for (int j = 0; j < a.vips_size(); ++j) {
      std::string error;
      const auto vip = parse_prefix(a.vips(j), error);
      if (!vip) {
        fail(pos.at("vips", j), "ha.announce: vip " + error);
      } else if (vip->length != (vip->address.is_v4() ? 32u : 128u)) {
        fail(pos.at("vips", j), "ha.announce: vip '" + a.vips(j) +
                                    "' must be a host route (/32 or /128): each node announces the address itself");
      } else if (!seen.insert(vip->address.to_string()).second) {
        fail(pos.at("vips", j), "ha.announce: vip '" + a.vips(j) + "' is listed twice");
      }
    }
    // 253-255 are the kernel's default, main and local tables; 0 = default 200.
    if (a.table() >= 253) fail(pos.at("table"), "ha.announce: table must be 1-252 (253-255 are the kernel's own)");
  }

  void check_sync() {
    if (!cluster_.has_sync()) return;
    if (cluster_.sync().port() > 65535) fail(root_.in("sync").at("port"), "sync: port out of range");
  }

  // The access log: a file the proxy can name, sizes that fit a worker's
  // memory. Whether the file can be opened is checked when the proxy starts.
  void check_access_log() {
    if (!cluster_.has_access_log()) return;
    const auto& log = cluster_.access_log();
    const auto pos = root_.in("access_log");
    if (log.path().empty()) {
      fail(pos.self(), "access_log: `path` is missing: write a file path, or \"-\" for stdout");
    } else if (log.path() != "-" && log.path().front() != '/') {
      fail(pos.at("path"), "access_log: path '" + log.path() + "' must be absolute (or \"-\" for stdout)");
    }
    if (log.buffer_kb() > 16384) fail(pos.at("buffer_kb"), "access_log: buffer_kb above 16384 (16 MiB per worker)");
    if (log.queue_kb() > 1048576) fail(pos.at("queue_kb"), "access_log: queue_kb above 1048576 (1 GiB)");
    if (log.max_path_bytes() > 65536) fail(pos.at("max_path_bytes"), "access_log: max_path_bytes above 65536");
    if (log.flush_ms() > 60000) fail(pos.at("flush_ms"), "access_log: flush_ms above 60000 (a minute)");
  }

  const Cluster& cluster_;
  SourcePosition root_;
  std::set<std::string> pool_names_;
  std::vector<Problem> problems_;
};

}  // namespace

std::vector<Problem> validate(const Cluster& cluster, const std::string& filename,
                              const google::protobuf::TextFormat::ParseInfoTree* locations) {
  return Checker(cluster, filename, locations).run();
}

}  // namespace tandem::config
