// One instance's VIPs on the node's interface: added and removed through
// VipManager, announced with gratuitous ARP (IPv4) / unsolicited NA (IPv6):
// a burst on claim (first at once, then every garp_interval) and a periodic
// refresh while held.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "common/address.h"
#include "ha/io/asio_aliases.h"
#include "ha/vip/vip_manager.h"

namespace tandem::ha {

// How VIPs are announced.
struct AnnounceSettings {
  unsigned burst = 5;
  std::chrono::milliseconds interval{100};
  std::chrono::milliseconds refresh{10000};  // 0 = off
};

class VipHolder {
 public:
  VipHolder(asio::io_context& io, VipManager& vips, std::string instance, std::string ifname,
            std::vector<Prefix> prefixes, AnnounceSettings announce);

  // Adds every VIP, then starts the announcement burst and the refresh.
  // Returns false when a VIP could not be added (logged; the rest are still added).
  bool claim();
  // Stops announcing and removes every VIP. Returns false when one could not
  // be removed (logged).
  bool release();
  // One announcement per VIP, now.
  void announce_now(const char* why);

  // On any exit path: removes every VIP still on the interface, whatever
  // this holder believes it holds, so no stale VIP stays behind (logged).
  void remove_on_exit();

  // Whether every VIP is on the interface now (asks the kernel).
  bool held();

  const std::vector<Prefix>& prefixes() const { return prefixes_; }

 private:
  void announce_after(std::chrono::milliseconds delay, unsigned remaining, std::uint64_t generation);

  asio::io_context& io_;
  VipManager& vips_;
  std::string instance_;
  std::string ifname_;
  std::vector<Prefix> prefixes_;
  AnnounceSettings announce_;
  asio::steady_timer timer_;
  std::uint64_t generation_ = 0;  // bumped on claim/release: stale timers do nothing
  bool claimed_ = false;
};

}  // namespace tandem::ha
