// Between the advert wire message (common/proto/advert.proto) and the
// failover machine's Advert / SendAdvert. Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/proto/advert.pb.h"
#include "ha/failover/instance_machine.h"

namespace tandem::ha {

// The wire state for STATE, and back (UNSPECIFIED and unknown -> nullopt).
wire::AdvertState to_wire(State state);
std::optional<State> from_wire(wire::AdvertState state);

// The machine's view of an accepted wire advert; nullopt when it cannot be
// represented (priority above 255, unknown state, interval 0).
std::optional<Advert> to_machine(const wire::Advert& advert);

// Identity and numbering of the adverts one agent sends.
struct AdvertOrigin {
  std::string node;
  std::uint64_t boot_id = 0;
};

// The wire advert for SEND of instance INSTANCE_NAME (the wire's instance_id
// carries the instance name) with INTERVAL and SEQUENCE; REPEAT_DELAY is
// nonzero on a copy (how long after the original it goes out).
wire::Advert to_wire(const SendAdvert& send, const std::string& instance_name,
                     Milliseconds interval, const AdvertOrigin& origin, std::uint64_t sequence,
                     std::chrono::microseconds repeat_delay = {});

}  // namespace tandem::ha
