#include "ha/advert/advert_exchange.h"

#include <variant>

#include <spdlog/spdlog.h>

namespace tandem::ha {

namespace {

constexpr std::chrono::milliseconds kDropWarnEvery{10000};

}  // namespace

AdvertExchange::AdvertExchange(asio::io_context& io, AdvertExchangeSettings settings, KeyRing keys)
    : keys_(std::move(keys)),
      verifier_(keys_.signing, settings.node, std::move(settings.known_nodes), std::move(settings.checks)),
      channel_(io, std::move(settings.channel)),
      sequences_(io, std::move(settings.sequence_path), verifier_) {
  verifier_.set_keys(keys_);  // both keys during a rotation
  origin_.node = std::move(settings.node);
  origin_.boot_id = new_boot_id();
}

AdvertExchange::~AdvertExchange() = default;

void AdvertExchange::open(OnAdvert on_advert) {
  on_advert_ = std::move(on_advert);
  sequences_.load(verifier_);  // before the first advert is read
  channel_.open();
  channel_.start([this](std::string_view bytes, const boost::asio::ip::udp::endpoint& from) {
    on_datagram(bytes, from);
  });
}

std::size_t AdvertExchange::drain() { return channel_.drain(); }

void AdvertExchange::on_datagram(std::string_view bytes, const boost::asio::ip::udp::endpoint& from) {
  if (stopped_) return;
  auto verdict = verifier_.verify(bytes, from.address());
  if (auto* reason = std::get_if<DropReason>(&verdict)) {
    note_drop(*reason, from);
    return;
  }
  sequences_.changed();
  on_advert_(std::get<wire::Advert>(verdict));
}

void AdvertExchange::note_drop(DropReason reason, const boost::asio::ip::udp::endpoint& from) {
  spdlog::debug("advert_dropped reason={} from={}", to_string(reason), from.address().to_string());
  auto& limit = drop_warned_.try_emplace(reason, kDropWarnEvery).first->second;
  if (const auto since = limit.note(std::chrono::steady_clock::now())) {
    spdlog::warn("adverts_dropped reason={} count={} last_from={} total={}", to_string(reason), since,
                 from.address().to_string(), verifier_.counters().dropped(reason));
  }
}

void AdvertExchange::send(const std::string& instance, Milliseconds interval, const SendAdvert& send) {
  const auto advert = to_wire(send, instance, interval, origin_, sequence_.next(), send.repeat_delay);
  std::string error;
  const std::size_t failed = channel_.send(encode_advert(advert, keys_.signing), error);
  if (failed) {
    send_errors_ += failed;
    spdlog::log(send_errors_ % 100 == 1 ? spdlog::level::warn : spdlog::level::debug,
                "advert_send_failed instance={} errors_total={} error=\"{}\"", instance, send_errors_, error);
  }
}

void AdvertExchange::set_keys(const KeyRing& keys) {
  keys_ = keys;
  verifier_.set_keys(keys_);
}

void AdvertExchange::stop() {
  stopped_ = true;
  sequences_.flush();
  sequences_.stop();
  channel_.close();
}

}  // namespace tandem::ha
