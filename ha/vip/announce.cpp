#include "ha/vip/announce.h"

#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <optional>
#include <utility>

namespace tandem::ha {

namespace {

using Mac = std::array<std::uint8_t, 6>;

// Closes a file descriptor on scope exit.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

std::string errno_text(int err) { return std::strerror(err); }

// A failed socket() as a message; permission problems say how to fix them.
std::string socket_failure(int err, const std::string& what) {
  if (err == EPERM || err == EACCES) {
    return "permission denied: run as root or with CAP_NET_RAW (" + what + ")";
  }
  return what + ": " + errno_text(err);
}

// IFNAME's index and Ethernet address, through an ioctl on FD.
bool ethernet_identity(int fd, const std::string& ifname, int& index, Mac& mac,
                       std::string& error) {
  if (ifname.empty() || ifname.size() >= IFNAMSIZ) {
    error = "no interface '" + ifname + "': interface names are 1 to 15 characters";
    return false;
  }
  ifreq req{};
  std::memcpy(req.ifr_name, ifname.data(), ifname.size());
  if (::ioctl(fd, SIOCGIFINDEX, &req) < 0) {
    error = errno == ENODEV ? "no interface '" + ifname + "'"
                            : "cannot look up '" + ifname + "': " + errno_text(errno);
    return false;
  }
  index = req.ifr_ifindex;
  if (::ioctl(fd, SIOCGIFHWADDR, &req) < 0) {
    error = "cannot read the MAC address of '" + ifname + "': " + errno_text(errno);
    return false;
  }
  if (req.ifr_hwaddr.sa_family != ARPHRD_ETHER) {
    error = "interface '" + ifname +
            "' is not Ethernet: VIP announcements need an Ethernet interface";
    return false;
  }
  std::memcpy(mac.data(), req.ifr_hwaddr.sa_data, mac.size());
  return true;
}

// An announcement socket of DOMAIN/TYPE/PROTOCOL with IFNAME's index and
// MAC looked up through it: the setup ARP and NA share. On failure returns
// nullopt and sets ERROR (WHAT says which announcement could not be sent).
struct AnnounceSocket {
  Fd fd;
  int index = 0;
  Mac mac{};
};

std::optional<AnnounceSocket> open_announce_socket(int domain, int type, int protocol, const std::string& ifname,
                                                   const std::string& what, std::string& error) {
  std::optional<AnnounceSocket> out(std::in_place, Fd(::socket(domain, type | SOCK_CLOEXEC, protocol)));
  if (out->fd.get() < 0) {
    error = socket_failure(errno, what);
    return std::nullopt;
  }
  if (!ethernet_identity(out->fd.get(), ifname, out->index, out->mac, error)) return std::nullopt;
  return out;
}

// The ARP payload of RFC 826, Ethernet/IPv4 only.
struct [[gnu::packed]] ArpPacket {
  std::uint16_t htype;
  std::uint16_t ptype;
  std::uint8_t hlen;
  std::uint8_t plen;
  std::uint16_t oper;
  std::uint8_t sha[6];
  std::uint8_t spa[4];
  std::uint8_t tha[6];
  std::uint8_t tpa[4];
};
static_assert(sizeof(ArpPacket) == 28);

}  // namespace

bool send_gratuitous_arp(const std::string& ifname, const boost::asio::ip::address_v4& vip,
                         std::string& error) {
  const std::string what = "cannot send gratuitous ARP for " + vip.to_string() + " on " + ifname;
  // SOCK_DGRAM: the kernel writes the Ethernet header from the sockaddr_ll.
  auto sock = open_announce_socket(AF_PACKET, SOCK_DGRAM, htons(ETH_P_ARP), ifname, what, error);
  if (!sock) return false;
  const Fd& fd = sock->fd;
  const int index = sock->index;
  const Mac& mac = sock->mac;

  ArpPacket arp{};
  arp.htype = htons(ARPHRD_ETHER);
  arp.ptype = htons(ETH_P_IP);
  arp.hlen = 6;
  arp.plen = 4;
  arp.oper = htons(ARPOP_REQUEST);
  const auto ip = vip.to_bytes();
  std::memcpy(arp.sha, mac.data(), 6);
  std::memcpy(arp.spa, ip.data(), 4);
  std::memset(arp.tha, 0xff, 6);  // as keepalived; receivers ignore it
  std::memcpy(arp.tpa, ip.data(), 4);

  sockaddr_ll to{};
  to.sll_family = AF_PACKET;
  to.sll_protocol = htons(ETH_P_ARP);
  to.sll_ifindex = index;
  to.sll_halen = 6;
  std::memset(to.sll_addr, 0xff, 6);
  if (::sendto(fd.get(), &arp, sizeof(arp), 0, reinterpret_cast<const sockaddr*>(&to),
               sizeof(to)) != static_cast<ssize_t>(sizeof(arp))) {
    error = what + ": " + errno_text(errno);
    return false;
  }
  return true;
}

bool send_unsolicited_na(const std::string& ifname, const boost::asio::ip::address_v6& vip,
                         std::string& error) {
  const std::string what =
      "cannot send neighbour advertisement for " + vip.to_string() + " on " + ifname;
  auto sock = open_announce_socket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6, ifname, what, error);
  if (!sock) return false;
  const Fd& fd = sock->fd;
  const int index = sock->index;
  const Mac& mac = sock->mac;

  const int hops = 255;
  if (::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof(hops)) < 0 ||
      ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_UNICAST_HOPS, &hops, sizeof(hops)) < 0) {
    error = what + ": cannot set hop limit: " + errno_text(errno);
    return false;
  }

  // NA header, then one option: target link-layer address (type 2, 8 bytes).
  struct [[gnu::packed]] Packet {
    nd_neighbor_advert na;
    std::uint8_t opt_type;
    std::uint8_t opt_len;
    std::uint8_t opt_mac[6];
  } packet{};
  static_assert(sizeof(Packet) == 32);
  packet.na.nd_na_type = ND_NEIGHBOR_ADVERT;
  packet.na.nd_na_code = 0;
  packet.na.nd_na_cksum = 0;  // the kernel fills in the ICMPv6 checksum
  packet.na.nd_na_flags_reserved = ND_NA_FLAG_OVERRIDE;
  const auto target = vip.to_bytes();
  std::memcpy(&packet.na.nd_na_target, target.data(), 16);
  packet.opt_type = ND_OPT_TARGET_LINKADDR;
  packet.opt_len = 1;  // in units of 8 bytes
  std::memcpy(packet.opt_mac, mac.data(), 6);

  sockaddr_in6 to{};
  to.sin6_family = AF_INET6;
  inet_pton(AF_INET6, "ff02::1", &to.sin6_addr);
  to.sin6_scope_id = static_cast<std::uint32_t>(index);

  // Source address and interface through IPV6_PKTINFO.
  iovec iov{&packet, sizeof(packet)};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(in6_pktinfo))] = {};
  msghdr msg{};
  msg.msg_name = &to;
  msg.msg_namelen = sizeof(to);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
  cmsg->cmsg_level = IPPROTO_IPV6;
  cmsg->cmsg_type = IPV6_PKTINFO;
  cmsg->cmsg_len = CMSG_LEN(sizeof(in6_pktinfo));
  in6_pktinfo info{};
  std::memcpy(&info.ipi6_addr, target.data(), 16);
  info.ipi6_ifindex = static_cast<unsigned>(index);
  std::memcpy(CMSG_DATA(cmsg), &info, sizeof(info));

  if (::sendmsg(fd.get(), &msg, 0) != static_cast<ssize_t>(sizeof(packet))) {
    const int err = errno;
    error = what + ": " + errno_text(err) +
            (err == EINVAL || err == EADDRNOTAVAIL ? " (add the VIP to the interface first)" : "");
    return false;
  }
  return true;
}

}  // namespace tandem::ha
