// Telling the link who owns a VIP now: gratuitous ARP for IPv4 (RFC 5227
// section 3 "ARP Announcement") and unsolicited neighbour advertisements for
// IPv6 (RFC 4861 section 7.2.6). One packet per call; the agent's shell
// decides the burst and the refresh period.
//
// Both need CAP_NET_RAW. Each call opens and closes its own socket, so it
// works in whatever network namespace the caller is in at that moment.
#pragma once

#include <string>

#include <boost/asio/ip/address_v4.hpp>
#include <boost/asio/ip/address_v6.hpp>

namespace tandem::ha {

// Broadcasts one ARP request on IFNAME with sender and target protocol
// address VIP and sender hardware address IFNAME's MAC, through an AF_PACKET
// socket. IFNAME must be an Ethernet interface. On failure returns false and
// sets ERROR.
bool send_gratuitous_arp(const std::string& ifname, const boost::asio::ip::address_v4& vip,
                         std::string& error);

// Sends one ICMPv6 neighbour advertisement for VIP (override flag set,
// target link-layer address option = IFNAME's MAC) from VIP to ff02::1 on
// IFNAME with hop limit 255. VIP must already be on IFNAME (the kernel
// refuses a source address it does not own). On failure returns false and
// sets ERROR.
bool send_unsolicited_na(const std::string& ifname, const boost::asio::ip::address_v6& vip,
                         std::string& error);

}  // namespace tandem::ha
