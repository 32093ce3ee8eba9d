// The agent's adverts in and out, as one part: the thin shell around
// advert_codec.h (verify, sign), advert_mapping.h (wire <-> machine),
// sequence_keeper.h (the replay guard's memory) and advert_channel.h (the
// socket).
//   in:  each datagram is verified (signature, sequence, sender, clock); a
//        drop is counted and its warning rate-limited per reason; a believed
//        advert is handed on.
//   out: a driver's SendAdvert becomes a signed, sequenced datagram.
// Single-threaded, on the agent's io_context.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "common/key_ring.h"
#include "common/warn_limiter.h"
#include "ha/advert/advert_channel.h"
#include "ha/advert/advert_codec.h"
#include "ha/advert/advert_mapping.h"
#include "ha/advert/sequence_keeper.h"
#include "ha/advert/sequence_source.h"
#include "ha/io/asio_aliases.h"

namespace tandem::ha {

// How this node's adverts are exchanged.
struct AdvertExchangeSettings {
  AdvertChannelConfig channel;
  std::string node;                   // this node: its own adverts are dropped
  std::set<std::string> known_nodes;  // the cluster file's node names
  AdvertChecks checks;                // sender addresses, clock bound
  std::string sequence_path;          // the peers' sequences on disk; "" = not kept
};

class AdvertExchange {
 public:
  // A believed advert (already past every check).
  using OnAdvert = std::function<void(const wire::Advert& advert)>;

  AdvertExchange(asio::io_context& io, AdvertExchangeSettings settings, KeyRing keys);
  ~AdvertExchange();

  // Restores the peers' sequences (before the first advert is read), opens
  // the socket and hands every believed advert to ON_ADVERT. Throws
  // std::runtime_error when the socket cannot be opened.
  void open(OnAdvert on_advert);
  // Delivers now what arrived but was not read yet (before a timer is acted
  // on, so a scheduler stall never fakes a failover). Returns how many.
  std::size_t drain();
  // Signs and sends SEND for INSTANCE (advertising INTERVAL).
  void send(const std::string& instance, Milliseconds interval, const SendAdvert& send);
  // A believed advert that no instance of ours runs (counted for status).
  void count_not_ours() { ++not_ours_; }
  // New cluster keys (SIGHUP): KEYS.signing signs, both are accepted.
  void set_keys(const KeyRing& keys);

  // This run's identity in every advert (node, boot id).
  const AdvertOrigin& origin() const { return origin_; }
  const AdvertCounters& verifier_counters() const { return verifier_.counters(); }
  std::uint64_t not_ours() const { return not_ours_; }
  std::uint64_t sent() const { return channel_.sent(); }
  std::uint64_t send_errors() const { return send_errors_; }

  // Writes the peers' sequences now (a fatal exit).
  void flush() { sequences_.flush(); }
  // Graceful stop: sequences written, socket closed, nothing more delivered.
  void stop();

 private:
  void on_datagram(std::string_view bytes, const boost::asio::ip::udp::endpoint& from);
  void note_drop(DropReason reason, const boost::asio::ip::udp::endpoint& from);

  KeyRing keys_;
  AdvertVerifier verifier_;
  SequenceSource sequence_;
  AdvertOrigin origin_;
  AdvertChannel channel_;
  SequenceKeeper sequences_;  // after verifier_: it reads it
  OnAdvert on_advert_;
  std::map<DropReason, WarnLimiter> drop_warned_;  // one rate limit per reason
  std::uint64_t not_ours_ = 0;
  std::uint64_t send_errors_ = 0;
  bool stopped_ = false;
};

}  // namespace tandem::ha
