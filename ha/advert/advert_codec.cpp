#include "ha/advert/advert_codec.h"

#include <algorithm>
#include <utility>

#include "common/hmac.h"

namespace tandem::ha {

std::string_view to_string(DropReason reason) {
  switch (reason) {
    case DropReason::kOversized: return "oversized";
    case DropReason::kMalformed: return "malformed";
    case DropReason::kUnsigned: return "unsigned";
    case DropReason::kBadSignature: return "bad_signature";
    case DropReason::kSelf: return "self";
    case DropReason::kUnknownNode: return "unknown_node";
    case DropReason::kReplayed: return "replayed";
    case DropReason::kWrongSource: return "wrong_source";
    case DropReason::kClockSkew: return "clock_skew";
  }
  return "unknown";
}

std::uint64_t AdvertCounters::dropped(DropReason reason) const {
  switch (reason) {
    case DropReason::kOversized: return oversized;
    case DropReason::kMalformed: return malformed;
    case DropReason::kUnsigned: return unsigned_;
    case DropReason::kBadSignature: return bad_signature;
    case DropReason::kSelf: return self;
    case DropReason::kUnknownNode: return unknown_node;
    case DropReason::kReplayed: return replayed;
    case DropReason::kWrongSource: return wrong_source;
    case DropReason::kClockSkew: return clock_skew;
  }
  return 0;
}

std::uint64_t AdvertCounters::dropped_total() const {
  std::uint64_t total = 0;
  for (DropReason r : kAllDropReasons) total += dropped(r);
  return total;
}

namespace {

std::uint64_t& counter_for(AdvertCounters& c, DropReason reason) {
  switch (reason) {
    case DropReason::kOversized: return c.oversized;
    case DropReason::kMalformed: return c.malformed;
    case DropReason::kUnsigned: return c.unsigned_;
    case DropReason::kBadSignature: return c.bad_signature;
    case DropReason::kSelf: return c.self;
    case DropReason::kUnknownNode: return c.unknown_node;
    case DropReason::kReplayed: return c.replayed;
    case DropReason::kWrongSource: return c.wrong_source;
    case DropReason::kClockSkew: return c.clock_skew;
  }
  return c.malformed;  // unreachable: every enumerator is handled above
}

}  // namespace

std::string advert_problem(const wire::Advert& advert) {
  if (advert.node().empty()) return "node missing";
  if (advert.instance_id().empty()) return "instance_id missing";
  if (advert.sequence() == 0) return "sequence missing";
  if (advert.boot_id() == 0) return "boot_id missing";
  if (advert.advert_interval_ms() == 0) return "advert_interval_ms is 0";
  if (advert.repeat_delay_us() >= std::uint64_t{advert.advert_interval_ms()} * 1000) {
    return "repeat_delay_us " + std::to_string(advert.repeat_delay_us()) + " not below the interval";
  }
  if (advert.priority() > kMaxAdvertPriority) {
    return "priority " + std::to_string(advert.priority()) + " above 255";
  }
  if (advert.state() == wire::ADVERT_STATE_UNSPECIFIED || !wire::AdvertState_IsValid(advert.state())) {
    return "state " + std::to_string(advert.state()) + " is not a known state";
  }
  if (!advert.successor().empty()) {
    if (advert.priority() != 0) return "successor named on an advert with priority > 0";
    if (advert.successor() == advert.node()) return "node names itself as successor";
  }
  return {};
}

std::string encode_advert(const wire::Advert& advert, std::string_view key) {
  wire::SignedAdvert signed_advert;
  std::string body = advert.SerializeAsString();
  const Digest mac = hmac_sha256(key, body);
  signed_advert.set_body(std::move(body));
  signed_advert.set_hmac(reinterpret_cast<const char*>(mac.data()), mac.size());
  return signed_advert.SerializeAsString();
}

bool within_clock_bound(std::uint64_t sequence_us, std::uint64_t now_us, std::uint64_t max_skew_us) {
  const std::uint64_t distance = sequence_us > now_us ? sequence_us - now_us : now_us - sequence_us;
  return distance <= max_skew_us;
}

// An IPv4 address seen through an IPv6 socket (::ffff:a.b.c.d) is the same
// node as its IPv4 form.
static boost::asio::ip::address unmapped(const boost::asio::ip::address& a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped())
    return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, a.to_v6());
  return a;
}

AdvertVerifier::AdvertVerifier(std::string key, std::string self_node, std::set<std::string> known_nodes,
                               AdvertChecks checks)
    : keys_{std::move(key), {}}, self_(std::move(self_node)), known_(std::move(known_nodes)), checks_(std::move(checks)) {}

void AdvertVerifier::restore(const std::string& node, const std::string& instance, std::uint64_t sequence) {
  auto& peer = peers_[std::make_pair(node, instance)];
  peer.sequence = std::max(peer.sequence, sequence);
}

std::variant<wire::Advert, DropReason> AdvertVerifier::verify(std::string_view datagram,
                                                              const std::optional<boost::asio::ip::address>& from) {
  auto result = check(datagram, from);
  if (const auto* reason = std::get_if<DropReason>(&result)) {
    ++counter_for(counters_, *reason);
  } else {
    ++counters_.accepted;
  }
  return result;
}

std::variant<wire::Advert, DropReason> AdvertVerifier::check(std::string_view datagram,
                                                             const std::optional<boost::asio::ip::address>& from) {
  if (datagram.size() > kMaxAdvertBytes) return DropReason::kOversized;

  wire::SignedAdvert outer;
  if (!outer.ParseFromArray(datagram.data(), static_cast<int>(datagram.size()))) {
    return DropReason::kMalformed;
  }
  if (outer.hmac().empty()) return DropReason::kUnsigned;
  // The exact bytes received are what was signed; parse only after checking.
  if (!keys_.verify(outer.body(), outer.hmac())) return DropReason::kBadSignature;

  wire::Advert advert;
  if (!advert.ParseFromString(outer.body())) return DropReason::kMalformed;
  if (!advert_problem(advert).empty()) return DropReason::kMalformed;

  if (advert.node() == self_) return DropReason::kSelf;
  if (!known_.contains(advert.node())) return DropReason::kUnknownNode;

  auto stream = std::make_pair(advert.node(), advert.instance_id());
  const auto it = peers_.find(stream);
  if (it != peers_.end() && advert.sequence() <= it->second.sequence) {
    return DropReason::kReplayed;
  }
  // After the replay check, so a plain replay keeps its precise name.
  if (from && !checks_.node_addresses.empty()) {
    const auto addr = checks_.node_addresses.find(advert.node());
    if (addr == checks_.node_addresses.end() || unmapped(addr->second) != unmapped(*from))
      return DropReason::kWrongSource;
  }
  if (checks_.max_clock_skew_us &&
      !within_clock_bound(advert.sequence(), checks_.clock(), *checks_.max_clock_skew_us)) {
    return DropReason::kClockSkew;
  }
  // Believed: only now does any state change.
  if (it == peers_.end()) {
    peers_.emplace(std::move(stream), PeerSequence{advert.boot_id(), advert.sequence(), 0});
  } else {
    // boot_id 0: restored from the file, no run of the sender seen yet.
    if (it->second.boot_id != 0 && it->second.boot_id != advert.boot_id()) ++it->second.restarts_seen;
    it->second.boot_id = advert.boot_id();
    it->second.sequence = advert.sequence();
  }
  return advert;
}

std::optional<PeerSequence> AdvertVerifier::peer(const std::string& node,
                                                 const std::string& instance) const {
  const auto it = peers_.find(std::make_pair(node, instance));
  if (it == peers_.end()) return std::nullopt;
  return it->second;
}

}  // namespace tandem::ha
