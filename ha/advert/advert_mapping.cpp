#include "ha/advert/advert_mapping.h"

namespace tandem::ha {

wire::AdvertState to_wire(State state) {
  switch (state) {
    case State::kInit: return wire::ADVERT_STATE_INIT;
    case State::kBackup: return wire::ADVERT_STATE_BACKUP;
    case State::kMaster: return wire::ADVERT_STATE_MASTER;
    case State::kFault: return wire::ADVERT_STATE_FAULT;
  }
  return wire::ADVERT_STATE_UNSPECIFIED;
}

std::optional<State> from_wire(wire::AdvertState state) {
  switch (state) {
    case wire::ADVERT_STATE_INIT: return State::kInit;
    case wire::ADVERT_STATE_BACKUP: return State::kBackup;
    case wire::ADVERT_STATE_MASTER: return State::kMaster;
    case wire::ADVERT_STATE_FAULT: return State::kFault;
    default: return std::nullopt;
  }
}

std::optional<Advert> to_machine(const wire::Advert& advert) {
  if (advert.priority() > 255) return std::nullopt;
  if (advert.advert_interval_ms() == 0) return std::nullopt;
  auto state = from_wire(advert.state());
  if (!state) return std::nullopt;
  Advert out;
  out.node = advert.node();
  out.priority = static_cast<std::uint8_t>(advert.priority());
  out.state = *state;
  out.interval = Milliseconds(advert.advert_interval_ms());
  if (!advert.successor().empty()) out.successor = advert.successor();
  out.repeat_delay = std::chrono::microseconds(advert.repeat_delay_us());
  out.serving = !advert.cannot_serve();
  return out;
}

wire::Advert to_wire(const SendAdvert& send, const std::string& instance_name,
                     Milliseconds interval, const AdvertOrigin& origin, std::uint64_t sequence,
                     std::chrono::microseconds repeat_delay) {
  wire::Advert a;
  a.set_node(origin.node);
  a.set_instance_id(instance_name);
  a.set_priority(send.priority);
  a.set_state(to_wire(send.state));
  a.set_advert_interval_ms(static_cast<std::uint32_t>(interval.count()));
  a.set_sequence(sequence);
  if (send.successor && send.priority == 0) a.set_successor(*send.successor);
  a.set_boot_id(origin.boot_id);
  a.set_repeat_delay_us(static_cast<std::uint32_t>(repeat_delay.count()));
  a.set_cannot_serve(!send.serving);
  return a;
}

}  // namespace tandem::ha
