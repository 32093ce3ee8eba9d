// The announcement's kernel side: host routes for the VIPs in a dedicated
// routing table (ha.announce.table), through rtnetlink (libnl-route). The
// node's BIRD learns that table (`protocol kernel { kernel table N; learn;
// }`) and exports what is there over BGP, so adding a route announces and
// deleting it withdraws, with no change to BIRD's configuration and no
// reload. The routes are `VIP/32 dev IFNAME proto static scope link`.
// Not thread-safe; the agent is single-threaded.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/address.h"

struct nl_sock;

namespace tandem::ha {

class RouteTable {
 public:
  // Opens the rtnetlink socket for TABLE; routes point at IFNAME. nullopt
  // and ERROR when the socket cannot be opened.
  static std::optional<RouteTable> open(unsigned table, std::string ifname, std::string& error);

  // Adds (replaces) every VIP's host route; false and ERROR on the first failure.
  bool add(const std::vector<Prefix>& vips, std::string& error);
  // Deletes every VIP's host route (absent is success).
  bool remove(const std::vector<Prefix>& vips, std::string& error);

 private:
  struct SockDeleter {
    void operator()(nl_sock* sock) const;
  };
  RouteTable(nl_sock* sock, unsigned table, std::string ifname) : sock_(sock), table_(table), ifname_(std::move(ifname)) {}
  bool change(const Prefix& vip, bool add, std::string& error);

  std::unique_ptr<nl_sock, SockDeleter> sock_;
  unsigned table_;
  std::string ifname_;
};

}  // namespace tandem::ha
