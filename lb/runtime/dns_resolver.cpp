#include "lb/runtime/dns_resolver.h"

#include <ares.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <span>
#include <mutex>
#include <stdexcept>
#include <thread>

#include <spdlog/spdlog.h>

#include "lb/discovery/discovered_cluster.h"
#include "lb/discovery/dns_answer_ttl.h"

namespace tandem::lb {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int kMaxAddresses = 64;  // per A/AAAA answer; more is not a pool

// One pool's discovery: its DnsSet, its c-ares channel (one per pool, as
// each may ask another resolver) and the round of queries in flight.
struct Target {
  std::string pool;
  config::PoolDns dns;
  DnsSet set;
  ares_channel channel = nullptr;
  Clock::time_point next{};
  bool busy = false;
  // The round in flight: records so far, queries outstanding, the first error.
  std::vector<DnsRecord> records;
  int pending = 0;
  std::string error;
  const DnsResolver::OnChange* on_change = nullptr;

  Target(std::string p, config::PoolDns d) : pool(std::move(p)), dns(std::move(d)), set(dns_settings(dns)) {}
};

// An address query for one SRV record's target.
struct SrvLookup {
  Target* target;
  DnsRecord record;  // port, priority, weight, and the TTL capping the addresses' from the SRV record
  int type;          // ns_t_a or ns_t_aaaa
  std::string host;  // the SRV target
};

constexpr std::uint32_t kNoTtlCap = std::numeric_limits<std::uint32_t>::max();

bool empty_status(int status) { return status == ARES_ENODATA || status == ARES_ENOTFOUND; }

}  // namespace

struct DnsResolver::Impl {
  std::vector<std::unique_ptr<Target>> targets;
  OnChange on_change;
  int wake[2] = {-1, -1};
  std::thread thread;

  ~Impl() {
    for (auto& t : targets)
      if (t->channel) ares_destroy(t->channel);  // callbacks see ARES_EDESTRUCTION
    for (int fd : wake)
      if (fd >= 0) ::close(fd);
  }

  void run() {
    while (true) {
      const auto now = Clock::now();
      for (auto& t : targets)
        if (!t->busy && now >= t->next) start_round(*t);
      std::vector<pollfd> fds{{wake[0], POLLIN, 0}};
      std::vector<Target*> owners{nullptr};
      auto wait = std::chrono::milliseconds(60000);
      for (auto& t : targets) {
        if (!t->busy) {
          wait = std::min(wait, std::chrono::ceil<std::chrono::milliseconds>(t->next - now));
          continue;
        }
        // ares_getsock + poll rather than ares_fds + select: the proxy has
        // thousands of sockets open, and a descriptor above FD_SETSIZE
        // would overflow an fd_set.
        ares_socket_t socks[ARES_GETSOCK_MAXNUM];
        const int bits = ares_getsock(t->channel, socks, ARES_GETSOCK_MAXNUM);
        for (int i = 0; i < ARES_GETSOCK_MAXNUM; ++i) {
          short events = 0;
          if (ARES_GETSOCK_READABLE(bits, i)) events |= POLLIN;
          if (ARES_GETSOCK_WRITABLE(bits, i)) events |= POLLOUT;
          if (!events) continue;
          fds.push_back({socks[i], events, 0});
          owners.push_back(t.get());
        }
        timeval tv{};
        if (ares_timeout(t->channel, nullptr, &tv))
          wait = std::min(wait, std::chrono::milliseconds(tv.tv_sec * 1000 + (tv.tv_usec + 999) / 1000));
      }
      const int ms = static_cast<int>(std::max<std::int64_t>(0, wait.count()));
      if (::poll(fds.data(), fds.size(), ms) < 0 && errno != EINTR) {
        spdlog::error("dns_resolver_stopped error=\"poll: {}\"", std::strerror(errno));
        return;
      }
      if (fds[0].revents) return;  // the destructor asks us to stop
      for (std::size_t i = 1; i < fds.size(); ++i) {
        if (!fds[i].revents) continue;
        const bool readable = fds[i].revents & (POLLIN | POLLERR | POLLHUP);
        const bool writable = fds[i].revents & POLLOUT;
        ares_process_fd(owners[i]->channel, readable ? fds[i].fd : ARES_SOCKET_BAD,
                        writable ? fds[i].fd : ARES_SOCKET_BAD);
      }
      for (auto& t : targets)
        if (t->busy) ares_process_fd(t->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);  // timeouts
    }
  }

  void start_round(Target& t) {
    t.busy = true;
    t.records.clear();
    t.error.clear();
    t.pending = 1;
    const int type = t.dns.type() == config::PoolDns::SRV    ? ns_t_srv
                     : t.dns.type() == config::PoolDns::AAAA ? ns_t_aaaa
                                                             : ns_t_a;
    ares_query(t.channel, t.dns.name().c_str(), ns_c_in, type, &Impl::on_answer, &t);
  }

  static void on_answer(void* arg, int status, int, unsigned char* buf, int len) {
    if (status == ARES_EDESTRUCTION) return;
    auto& t = *static_cast<Target*>(arg);
    if (status == ARES_SUCCESS && t.dns.type() == config::PoolDns::SRV) {
      ares_srv_reply* srv = nullptr;
      status = ares_parse_srv_reply(buf, len, &srv);
      if (status == ARES_SUCCESS) {
        // The SRV set may change sooner than its targets' addresses: its own
        // TTL caps theirs (c-ares does not report it; unreadable: no cap).
        const std::span<const std::uint8_t> message(buf, static_cast<std::size_t>(len));
        const std::uint32_t srv_ttl = smallest_answer_ttl(message, ns_t_srv).value_or(kNoTtlCap);
        // Each target's addresses: A first, AAAA when it has none, so a
        // dual-stack target is one server and an IPv6-only one is found.
        for (auto* r = srv; r; r = r->next) {
          auto* lookup = new SrvLookup{&t, DnsRecord{"", r->port, srv_ttl, r->priority, r->weight}, ns_t_a, r->host};
          ++t.pending;
          ares_query(t.channel, r->host, ns_c_in, ns_t_a, &Impl::on_address, lookup);
        }
        ares_free_data(srv);
      }
    } else if (status == ARES_SUCCESS) {
      DnsRecord proto;
      proto.ttl_s = kNoTtlCap;
      add_addresses(t, buf, len, t.dns.type() == config::PoolDns::AAAA ? ns_t_aaaa : ns_t_a, proto);
      status = ARES_SUCCESS;
    }
    if (status != ARES_SUCCESS && !empty_status(status) && t.error.empty()) t.error = ares_strerror(status);
    finish_one(t);
  }

  static void on_address(void* arg, int status, int, unsigned char* buf, int len) {
    std::unique_ptr<SrvLookup> lookup(static_cast<SrvLookup*>(arg));
    if (status == ARES_EDESTRUCTION) return;
    auto& t = *lookup->target;
    const auto before = t.records.size();
    if (status == ARES_SUCCESS) add_addresses(t, buf, len, lookup->type, lookup->record);
    if (t.records.size() == before && lookup->type == ns_t_a) {
      // No IPv4 address (or the A query failed): try AAAA before judging.
      lookup->type = ns_t_aaaa;
      auto* again = lookup.release();
      ares_query(t.channel, again->host.c_str(), ns_c_in, ns_t_aaaa, &Impl::on_address, again);
      return;
    }
    if (t.records.size() == before && status != ARES_SUCCESS && !empty_status(status) && t.error.empty())
      t.error = lookup->host + ": " + ares_strerror(status);
    finish_one(t);
  }

  // The addresses of an A or AAAA answer, each as a copy of PROTO, whose
  // ttl_s caps the address's TTL.
  static void add_addresses(Target& t, unsigned char* buf, int len, int type, const DnsRecord& proto) {
    char text[INET6_ADDRSTRLEN];
    int count = kMaxAddresses;
    if (type == ns_t_a) {
      ares_addrttl list[kMaxAddresses];
      if (ares_parse_a_reply(buf, len, nullptr, list, &count) != ARES_SUCCESS) return;
      for (int i = 0; i < count; ++i) {
        if (!inet_ntop(AF_INET, &list[i].ipaddr, text, sizeof text)) continue;
        DnsRecord r = proto;
        r.address = text;
        r.ttl_s = std::min(proto.ttl_s, static_cast<std::uint32_t>(std::max(0, list[i].ttl)));
        t.records.push_back(std::move(r));
      }
    } else {
      ares_addr6ttl list[kMaxAddresses];
      if (ares_parse_aaaa_reply(buf, len, nullptr, list, &count) != ARES_SUCCESS) return;
      for (int i = 0; i < count; ++i) {
        if (!inet_ntop(AF_INET6, &list[i].ip6addr, text, sizeof text)) continue;
        DnsRecord r = proto;
        r.address = text;
        r.ttl_s = std::min(proto.ttl_s, static_cast<std::uint32_t>(std::max(0, list[i].ttl)));
        t.records.push_back(std::move(r));
      }
    }
  }

  static void finish_one(Target& t) {
    if (--t.pending > 0) return;
    // One failed lookup fails the round: a partial answer would shrink the
    // pool, and a failure must keep the last good set.
    const auto outcome = !t.error.empty()      ? DnsOutcome::failure
                         : t.records.empty()   ? DnsOutcome::empty
                                               : DnsOutcome::answer;
    const auto now = Clock::now();
    const auto step = t.set.on_result(outcome, outcome == DnsOutcome::answer ? t.records : std::vector<DnsRecord>{}, now);
    t.next = step.next_query;
    t.busy = false;
    const auto next_ms = std::chrono::duration_cast<std::chrono::milliseconds>(step.next_query - now).count();
    if (outcome != DnsOutcome::answer) {
      spdlog::warn("dns_kept pool={} name={} reason=\"{}\" failures={} servers={} retry_ms={}", t.pool, t.dns.name(),
                   outcome == DnsOutcome::failure ? t.error : "empty answer", t.set.failures(), t.set.set().size(),
                   next_ms);
      return;
    }
    if (!step.changed) return;
    std::string names;
    for (const auto& s : t.set.set()) names += (names.empty() ? "" : ",") + s.name;
    spdlog::info("dns_answer pool={} name={} servers={} next_ms={}", t.pool, t.dns.name(), names, next_ms);
    (*t.on_change)(t.pool, t.set.set());
  }
};

std::vector<DnsTarget> DnsResolver::targets_of(const config::Cluster& cluster) {
  std::vector<DnsTarget> out;
  for (const auto& pool : cluster.pools())
    if (pool.has_dns()) out.push_back(DnsTarget{pool.name(), pool.dns()});
  return out;
}

DnsResolver::DnsResolver(std::vector<DnsTarget> targets, OnChange on_change) : impl_(std::make_unique<Impl>()) {
  static std::once_flag init;
  std::call_once(init, [] { ares_library_init(ARES_LIB_INIT_ALL); });
  impl_->on_change = std::move(on_change);
  for (auto& target : targets) {
    auto t = std::make_unique<Target>(target.pool, target.dns);
    t->on_change = &impl_->on_change;
    ares_options options{};
    options.timeout = static_cast<int>(dns_timeout(t->dns).count());
    options.tries = 1;  // the next round (min_ttl, backoff) is the retry
    int status = ares_init_options(&t->channel, &options, ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES);
    if (status == ARES_SUCCESS && !t->dns.resolver().empty())
      status = ares_set_servers_ports_csv(t->channel, t->dns.resolver().c_str());
    if (status != ARES_SUCCESS) {
      if (t->channel) ares_destroy(t->channel);
      throw std::runtime_error("pool '" + t->pool + "': dns resolver: " + ares_strerror(status));
    }
    impl_->targets.push_back(std::move(t));
  }
  if (::pipe2(impl_->wake, O_CLOEXEC | O_NONBLOCK) != 0)
    throw std::runtime_error(std::string("dns resolver: pipe: ") + std::strerror(errno));
  impl_->thread = std::thread([impl = impl_.get()] { impl->run(); });
}

DnsResolver::~DnsResolver() {
  if (impl_->thread.joinable()) {
    const char byte = 1;
    [[maybe_unused]] auto written = ::write(impl_->wake[1], &byte, 1);
    impl_->thread.join();
  }
}

}  // namespace tandem::lb
