// The advert wire layer: signing outgoing adverts and deciding whether an
// incoming datagram is believed. Pure: no sockets; the clock is injected.
//
// Wire format: a SignedAdvert{body, hmac} (common/proto/advert.proto) where
// BODY is a serialized Advert and HMAC is HMAC-SHA256(shared key, BODY). The
// receiver checks the HMAC over the exact BODY bytes received and only then
// parses them, so no re-serialization ever enters the signature.
//
// What a receiver believes. Checks run in this order; the first failing one
// is the drop reason, and each drop is counted:
//   oversized      datagram larger than kMaxAdvertBytes (read with a buffer
//                  of at least kMaxAdvertBytes + 1, or MSG_TRUNC, to see it)
//   malformed      not a SignedAdvert
//   unsigned       no hmac
//   bad_signature  hmac does not match the body under the shared key
//   malformed      the signed body is not a well-formed Advert
//                  (see advert_problem)
//   self           the advert names this node (our own multicast looped back)
//   unknown_node   the node is not in the cluster file
//   replayed       sequence not strictly above the last one accepted from that
//                  node for that instance, whatever its boot_id (sequence
//                  scheme and its one operational requirement:
//                  ha/advert/sequence_source.h). Tracking per (node,
//                  instance) rather than per node keeps adverts of different
//                  instances that cross on the wire from dropping each other;
//                  a replay is still older than what its stream has seen.
//                  The last sequences survive a restart of the agent
//                  (restore(), ha/advert/peer_sequence_file.h).
//   wrong_source   the datagram's source address is not the configured
//                  address of the node the advert names (multicast and
//                  unicast alike; only when node addresses are given).
//   clock_skew     the sequence, the sender's realtime clock in µs, is
//                  further than max_clock_skew from this node's realtime
//                  clock (only when a bound is given; NTP keeps honest nodes
//                  well inside it).
//
// Why a captured advert cannot hold a node down after its agent restarts:
// the bound refuses every advert older than max_clock_skew, whoever sends it
// and whatever the receiver remembers; the restored sequences refuse every
// advert older than the last one the receiver accepted before it went down
// (so a capture cannot pose as a master that has since died); and the
// source check makes the replayer spoof the named node's address.
// Only an accepted advert updates the per-node sequence state, so no dropped
// datagram changes anything but a counter.
//
// Not thread-safe; the agent is single-threaded.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include <boost/asio/ip/address.hpp>

#include "common/key_ring.h"
#include "common/proto/advert.pb.h"
#include "ha/advert/sequence_source.h"

namespace tandem::ha {

// Largest datagram accepted; real adverts are well under 200 bytes.
inline constexpr std::size_t kMaxAdvertBytes = 1024;

// Largest priority on the wire (RFC 5798: 255 = address owner, 0 = resigning).
inline constexpr std::uint32_t kMaxAdvertPriority = 255;

// Why an incoming datagram was not believed.
enum class DropReason {
  kOversized,
  kMalformed,
  kUnsigned,
  kBadSignature,
  kSelf,
  kUnknownNode,
  kReplayed,
  kWrongSource,
  kClockSkew,
};

// Every DropReason, for iterating (metrics export, tests).
inline constexpr DropReason kAllDropReasons[] = {
    DropReason::kOversized,    DropReason::kMalformed, DropReason::kUnsigned,
    DropReason::kBadSignature, DropReason::kSelf,      DropReason::kUnknownNode,
    DropReason::kReplayed,     DropReason::kWrongSource, DropReason::kClockSkew,
};

// Stable snake_case name ("bad_signature"), usable as a metric label.
std::string_view to_string(DropReason reason);

// What the verifier has seen: one counter per outcome.
struct AdvertCounters {
  std::uint64_t accepted = 0;
  std::uint64_t oversized = 0;
  std::uint64_t malformed = 0;
  std::uint64_t unsigned_ = 0;  // trailing underscore: `unsigned` is a keyword
  std::uint64_t bad_signature = 0;
  std::uint64_t self = 0;
  std::uint64_t unknown_node = 0;
  std::uint64_t replayed = 0;
  std::uint64_t wrong_source = 0;
  std::uint64_t clock_skew = 0;

  // The counter for REASON.
  std::uint64_t dropped(DropReason reason) const;
  // Sum of all drop counters.
  std::uint64_t dropped_total() const;
};

// Empty when ADVERT's fields are acceptable on the wire; otherwise what is
// wrong: node, instance_id, sequence or boot_id missing (empty/0),
// advert_interval_ms 0, priority above 255, state unspecified or unknown,
// successor set on an advert whose priority is not 0, or successor equal to
// the sender.
std::string advert_problem(const wire::Advert& advert);

// Serializes and signs ADVERT under KEY: a SignedAdvert ready to send. The
// caller sends well-formed adverts (advert_problem empty) with short names
// so the result stays under kMaxAdvertBytes.
std::string encode_advert(const wire::Advert& advert, std::string_view key);

// The latest advert accepted from one node for one instance.
struct PeerSequence {
  std::uint64_t boot_id = 0;
  std::uint64_t sequence = 0;
  std::uint64_t restarts_seen = 0;  // boot_id changes accepted since we started
};

// The freshness rule: true when SEQUENCE_US (a sender's realtime clock in µs)
// is within MAX_SKEW_US of NOW_US, in either direction. An advert from the
// future is refused too: accepting it would make the sender's honest adverts
// look replayed until its clock caught up.
bool within_clock_bound(std::uint64_t sequence_us, std::uint64_t now_us, std::uint64_t max_skew_us);

// The checks beyond signature and sequence that the agent turns on.
struct AdvertChecks {
  // Node name -> its configured address (node.address). When not empty, an
  // advert must come from the address of the node it names.
  std::map<std::string, boost::asio::ip::address> node_addresses;
  // When set, the largest distance between an advert's sequence and CLOCK.
  std::optional<std::uint64_t> max_clock_skew_us;
  RealtimeClock clock = realtime_now_us;
};

// Decides whether incoming datagrams are believed; keeps the per-node
// sequence state and the drop counters.
class AdvertVerifier {
 public:
  // KEY is the shared key; SELF_NODE is this node's name (its own adverts are
  // dropped); KNOWN_NODES are the cluster file's node names. CHECKS default
  // to none (tests of the signature and sequence rules, the fuzzer); the
  // agent gives node addresses and a clock bound.
  AdvertVerifier(std::string key, std::string self_node, std::set<std::string> known_nodes,
                 AdvertChecks checks = {});

  // The advert in DATAGRAM if believed, otherwise why not. Counts either way.
  // Without FROM the source check is skipped (only tests do that).
  std::variant<wire::Advert, DropReason> verify(std::string_view datagram,
                                                const std::optional<boost::asio::ip::address>& from = std::nullopt);

  // Seeds the replay guard with SEQUENCE for (NODE, INSTANCE), as persisted
  // by an earlier run of this agent: anything at or below it is then dropped
  // as replayed. Never lowers what this run has already accepted.
  void restore(const std::string& node, const std::string& instance, std::uint64_t sequence);

  // Every (node, instance) stream with its last accepted sequence.
  const std::map<std::pair<std::string, std::string>, PeerSequence>& peers() const { return peers_; }

  // Accept adverts signed with either key of KEYS (a key rotation,
  // common/key_ring.h); KEYS.signing replaces KEY.
  void set_keys(KeyRing keys) { keys_ = std::move(keys); }

  // Counters since construction.
  const AdvertCounters& counters() const { return counters_; }

  // What was last accepted from NODE for INSTANCE, if anything.
  std::optional<PeerSequence> peer(const std::string& node, const std::string& instance) const;

 private:
  std::variant<wire::Advert, DropReason> check(std::string_view datagram,
                                               const std::optional<boost::asio::ip::address>& from);

  KeyRing keys_;
  std::string self_;
  std::set<std::string> known_;
  AdvertChecks checks_;
  std::map<std::pair<std::string, std::string>, PeerSequence> peers_;  // (node, instance)
  AdvertCounters counters_;
};

}  // namespace tandem::ha
