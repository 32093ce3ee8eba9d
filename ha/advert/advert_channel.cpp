#include "ha/advert/advert_channel.h"

#include <cstring>
#include <net/if.h>
#include <netinet/in.h>
#include <stdexcept>
#include <sys/socket.h>

#include <boost/asio/ip/multicast.hpp>
#include <spdlog/spdlog.h>

namespace tandem::ha {

namespace {

using udp = boost::asio::ip::udp;

// Large enough that any UDP datagram arrives whole, so an oversized advert
// is seen (and counted) as oversized rather than truncated into "malformed".
constexpr std::size_t kReceiveBuffer = 65536;

void check(const boost::system::error_code& ec, const std::string& what) {
  if (ec) throw std::runtime_error("advert socket: " + what + ": " + ec.message());
}

void set_int(udp::socket& s, int level, int name, int value, const std::string& what) {
  if (::setsockopt(s.native_handle(), level, name, &value, sizeof value) != 0)
    check(boost::system::error_code(errno, boost::system::system_category()), what);
}

}  // namespace

AdvertChannel::AdvertChannel(asio::io_context& io, AdvertChannelConfig config)
    : io_(io), config_(std::move(config)), socket_(io), buffer_(kReceiveBuffer) {}

void AdvertChannel::open() {
  boost::system::error_code ec;
  const bool v6 = config_.unicast ? config_.local_address.is_v6() : config_.group.is_v6();
  const udp protocol = v6 ? udp::v6() : udp::v4();
  socket_.open(protocol, ec);
  check(ec, "open");
  // No SO_REUSEADDR: a second agent on this host must fail to bind, not
  // silently share (and steal) the adverts.
  if (!config_.interface.empty()) {
    if (::setsockopt(socket_.native_handle(), SOL_SOCKET, SO_BINDTODEVICE, config_.interface.c_str(),
                     static_cast<socklen_t>(config_.interface.size())) != 0) {
      check(boost::system::error_code(errno, boost::system::system_category()),
            "SO_BINDTODEVICE " + config_.interface);
    }
  }
  if (!config_.unicast) {
    namespace mc = boost::asio::ip::multicast;
    if (v6) {
      const unsigned index = ::if_nametoindex(config_.interface.c_str());
      if (index == 0) throw std::runtime_error("advert socket: no interface " + config_.interface);
      socket_.set_option(mc::outbound_interface(index), ec);
      check(ec, "IPV6_MULTICAST_IF");
      socket_.set_option(mc::join_group(config_.group.to_v6(), index), ec);
      check(ec, "join group " + config_.group.to_string());
    } else {
      if (!config_.local_address.is_v4())
        throw std::runtime_error("advert socket: an IPv4 multicast group needs an IPv4 node address");
      socket_.set_option(mc::outbound_interface(config_.local_address.to_v4()), ec);
      check(ec, "IP_MULTICAST_IF " + config_.local_address.to_string());
      socket_.set_option(mc::join_group(config_.group.to_v4(), config_.local_address.to_v4()), ec);
      check(ec, "join group " + config_.group.to_string() + " on " + config_.local_address.to_string());
      // Only the groups this socket joined, not every group of the host.
      set_int(socket_, IPPROTO_IP, IP_MULTICAST_ALL, 0, "IP_MULTICAST_ALL");
    }
    socket_.set_option(mc::hops(1), ec);
    check(ec, "multicast TTL 1");
    socket_.set_option(mc::enable_loopback(false), ec);
    check(ec, "multicast loop off");
  }
  socket_.bind(udp::endpoint(protocol, config_.port), ec);
  check(ec, "bind port " + std::to_string(config_.port));
  socket_.non_blocking(true, ec);
  check(ec, "non-blocking");
}

void AdvertChannel::start(OnDatagram on_datagram) {
  on_datagram_ = std::move(on_datagram);
  wait_readable();
}

void AdvertChannel::wait_readable() {
  socket_.async_wait(udp::socket::wait_read, [this](const boost::system::error_code& ec) {
    if (ec) {
      if (ec != asio::error::operation_aborted) spdlog::error("advert_socket_failed error=\"{}\"", ec.message());
      return;
    }
    drain();
    wait_readable();
  });
}

std::size_t AdvertChannel::drain() {
  std::size_t count = 0;
  // Bounded, so a flood cannot keep the loop here forever.
  for (std::size_t i = 0; i < 4096; ++i) {
    udp::endpoint from;
    boost::system::error_code ec;
    const std::size_t n = socket_.receive_from(asio::buffer(buffer_), from, 0, ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) break;
    if (ec) {
      // ICMP errors from unicast sends surface here (ECONNREFUSED); harmless.
      spdlog::debug("advert_receive_error error=\"{}\"", ec.message());
      continue;
    }
    ++count;
    if (on_datagram_) on_datagram_(std::string_view(buffer_.data(), n), from);
  }
  return count;
}

// Sends with the node's address as the source (IP_PKTINFO/IPV6_PKTINFO),
// because receivers drop an advert whose source is not the configured
// address of the node it names. Left to the kernel, an IPv6 multicast would
// leave from the link-local address, and a unicast could leave from a VIP.
boost::system::error_code AdvertChannel::send_from_node(std::string_view bytes, const udp::endpoint& to) {
  iovec iov{const_cast<char*>(bytes.data()), bytes.size()};
  msghdr msg{};
  msg.msg_name = const_cast<sockaddr*>(to.data());
  msg.msg_namelen = static_cast<socklen_t>(to.size());
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(in6_pktinfo))] = {};
  msg.msg_control = control;
  const auto& local = config_.local_address;
  if (local.is_v6()) {
    msg.msg_controllen = CMSG_SPACE(sizeof(in6_pktinfo));
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = IPPROTO_IPV6;
    c->cmsg_type = IPV6_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof(in6_pktinfo));
    in6_pktinfo info{};
    const auto bytes6 = local.to_v6().to_bytes();
    std::memcpy(&info.ipi6_addr, bytes6.data(), bytes6.size());
    std::memcpy(CMSG_DATA(c), &info, sizeof info);
  } else if (!to.address().is_v6()) {
    msg.msg_controllen = CMSG_SPACE(sizeof(in_pktinfo));
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = IPPROTO_IP;
    c->cmsg_type = IP_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof(in_pktinfo));
    in_pktinfo info{};
    const auto bytes4 = local.to_v4().to_bytes();
    std::memcpy(&info.ipi_spec_dst, bytes4.data(), bytes4.size());
    std::memcpy(CMSG_DATA(c), &info, sizeof info);
  } else {
    msg.msg_control = nullptr;
  }
  if (::sendmsg(socket_.native_handle(), &msg, 0) < 0)
    return boost::system::error_code(errno, boost::system::system_category());
  return {};
}

std::size_t AdvertChannel::send(std::string_view bytes, std::string& error) {
  std::size_t failed = 0;
  auto send_to = [&](const udp::endpoint& to) {
    const boost::system::error_code ec = send_from_node(bytes, to);
    if (ec) {
      if (failed++ == 0) error = "send to " + to.address().to_string() + ": " + ec.message();
    } else {
      ++sent_;
    }
  };
  if (config_.unicast) {
    for (const auto& peer : config_.unicast_peers) send_to(udp::endpoint(peer, config_.port));
  } else {
    send_to(udp::endpoint(config_.group, config_.port));
  }
  return failed;
}

void AdvertChannel::close() {
  boost::system::error_code ignored;
  socket_.close(ignored);
}

}  // namespace tandem::ha
