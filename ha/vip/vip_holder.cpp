#include "ha/vip/vip_holder.h"

#include <spdlog/spdlog.h>

#include "ha/vip/announce.h"

namespace tandem::ha {

VipHolder::VipHolder(asio::io_context& io, VipManager& vips, std::string instance, std::string ifname,
                     std::vector<Prefix> prefixes, AnnounceSettings announce)
    : io_(io),
      vips_(vips),
      instance_(std::move(instance)),
      ifname_(std::move(ifname)),
      prefixes_(std::move(prefixes)),
      announce_(announce),
      timer_(io) {}

bool VipHolder::claim() {
  bool ok = true;
  for (const auto& prefix : prefixes_) {
    std::string error;
    if (vips_.add(ifname_, prefix, error)) {
      spdlog::info("vip_added instance={} vip={} interface={}", instance_, format_prefix(prefix), ifname_);
    } else {
      ok = false;
      spdlog::error("vip_add_failed instance={} vip={} interface={} error=\"{}\"", instance_,
                    format_prefix(prefix), ifname_, error);
    }
  }
  claimed_ = true;
  const std::uint64_t generation = ++generation_;
  announce_now("claim");
  if (announce_.burst > 1) {
    announce_after(announce_.interval, announce_.burst - 1, generation);
  } else if (announce_.refresh.count() > 0) {
    announce_after(announce_.refresh, 0, generation);
  }
  return ok;
}

bool VipHolder::release() {
  ++generation_;
  claimed_ = false;
  timer_.cancel();
  bool ok = true;
  for (const auto& prefix : prefixes_) {
    std::string error;
    if (vips_.remove(ifname_, prefix, error)) {
      spdlog::info("vip_removed instance={} vip={} interface={}", instance_, format_prefix(prefix), ifname_);
    } else {
      ok = false;
      spdlog::error("vip_remove_failed instance={} vip={} interface={} error=\"{}\"", instance_,
                    format_prefix(prefix), ifname_, error);
    }
  }
  return ok;
}

void VipHolder::announce_now(const char* why) {
  for (const auto& prefix : prefixes_) {
    std::string error;
    const bool ok = prefix.address.is_v4() ? send_gratuitous_arp(ifname_, prefix.address.to_v4(), error)
                                           : send_unsolicited_na(ifname_, prefix.address.to_v6(), error);
    if (ok) {
      spdlog::debug("vip_announced instance={} vip={} why={}", instance_, prefix.address.to_string(), why);
    } else {
      spdlog::warn("vip_announce_failed instance={} vip={} error=\"{}\"", instance_, prefix.address.to_string(),
                   error);
    }
  }
}

void VipHolder::announce_after(std::chrono::milliseconds delay, unsigned remaining, std::uint64_t generation) {
  timer_.expires_after(delay);
  timer_.async_wait([this, remaining, generation](const boost::system::error_code& ec) {
    if (ec || generation != generation_ || !claimed_) return;
    if (remaining > 0) {
      announce_now("burst");
      if (remaining > 1) {
        announce_after(announce_.interval, remaining - 1, generation);
        return;
      }
    } else {
      announce_now("refresh");
    }
    if (announce_.refresh.count() > 0) announce_after(announce_.refresh, 0, generation);
  });
}

bool VipHolder::held() {
  if (prefixes_.empty()) return false;
  for (const auto& prefix : prefixes_) {
    std::string error;
    auto present = vips_.present(ifname_, prefix, error);
    if (!present || !*present) return false;
  }
  return true;
}

void VipHolder::remove_on_exit() {
  for (const auto& prefix : prefixes_) {
    std::string error;
    auto present = vips_.present(ifname_, prefix, error);
    if (present && !*present) continue;
    if (vips_.remove(ifname_, prefix, error)) {
      spdlog::info("vip_removed instance={} vip={} interface={} why=exit", instance_, format_prefix(prefix), ifname_);
    } else {
      spdlog::error("vip_remove_failed instance={} vip={} error=\"{}\"", instance_, format_prefix(prefix), error);
    }
  }
}

}  // namespace tandem::ha
