// Claiming and releasing virtual IPs on a local interface through rtnetlink
// (libnl-route), reading the interface's link state, and clearing its
// unresolved neighbour entries when its cable comes back.
//
// A VIP belongs to Tandem by configuration: at start-up the agent calls
// remove_leftovers() with every configured VIP of the interface, which also
// removes any IPv4 address carrying Tandem's label (kVipLabelSuffix), so a VIP
// left behind by a crash, even one since dropped from the config, goes away.
// IPv6 addresses carry no label; they are added with IFA_F_NODAD so they are
// usable at once (no tentative period), as keepalived does.
//
// Every call asks the kernel afresh (no cache kept between calls), so the
// answers are never stale. Errors come back as a message that says what to do.
// Not thread-safe; the agent is single-threaded. The netlink socket lives in
// the network namespace the process was in when open() was called.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/address.h"

struct nl_sock;

namespace tandem::ha {

// IPv4 VIPs get the label "<ifname>:tdm" (when that fits in 15 characters),
// which `ip addr` shows and remove_leftovers() recognises.
inline constexpr std::string_view kVipLabelSuffix = ":tdm";

// Adds, removes and finds VIPs; one netlink socket.
class VipManager {
 public:
  // Opens the rtnetlink socket. On failure returns nullopt and sets ERROR.
  static std::optional<VipManager> open(std::string& error);

  // Adds VIP on IFNAME (NLM_F_REPLACE; already present is success).
  bool add(const std::string& ifname, const Prefix& vip, std::string& error);

  // Removes VIP from IFNAME (absent is success).
  bool remove(const std::string& ifname, const Prefix& vip, std::string& error);

  // Whether IFNAME holds VIP (same address and prefix length); nullopt and
  // ERROR when the kernel cannot be asked or the interface does not exist.
  std::optional<bool> present(const std::string& ifname, const Prefix& vip, std::string& error);

  // Removes from IFNAME every address in CONFIGURED and every IPv4 address
  // labelled by Tandem; returns what was removed (for the log).
  std::optional<std::vector<Prefix>> remove_leftovers(const std::string& ifname,
                                                      const std::vector<Prefix>& configured,
                                                      std::string& error);

  // Whether IFNAME is administratively up and has carrier (IFF_UP and
  // IFF_RUNNING); nullopt and ERROR if it does not exist.
  std::optional<bool> link_is_up(const std::string& ifname, std::string& error);

  // Deletes IFNAME's unresolved neighbour entries (ARP and NDP; see
  // neighbour_unresolved) and returns how many. Called when the cable comes
  // back: an entry made while it was out (a SYN-ACK to a client, a health
  // check, a sync reconnect) keeps its retry timer, one probe a second, and
  // every packet for that neighbour waits in it for the next probe, up to a
  // second of dropped connections after the node has taken the VIP back.
  // Once deleted, the next packet probes at once.
  std::optional<unsigned> forget_unresolved_neighbours(const std::string& ifname, std::string& error);

 private:
  struct SockDeleter {
    void operator()(nl_sock* sock) const;
  };
  explicit VipManager(nl_sock* sock) : sock_(sock) {}

  std::unique_ptr<nl_sock, SockDeleter> sock_;
};

// Whether a neighbour entry in NUD_STATE (linux/neighbour.h) is still
// unresolved: INCOMPLETE (probing) or FAILED (gave up). Resolved entries
// (REACHABLE, STALE, DELAY, PROBE) keep an address that is likely still right
// and are left alone, as are PERMANENT and NOARP ones an operator set.
bool neighbour_unresolved(unsigned nud_state);

// The label Tandem puts on IPv4 VIPs of IFNAME, or "" when it would not fit.
std::string vip_label(std::string_view ifname);

// "198.18.0.100/24" (a Prefix as the configuration writes it).
std::string format_prefix(const Prefix& prefix);

}  // namespace tandem::ha
