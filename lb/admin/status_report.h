// The proxy's typed self-report (common/proto/proxy_status.proto), read
// from a generation's live state at one instant. Everything the admin
// listener says about listeners, pools, servers and stick tables comes from
// these messages: as protobuf to the ha-agent, as JSON (status_json.h) to
// people and scripts, so the two cannot disagree.
#pragma once

#include <optional>
#include <string>

#include "common/proto/proxy_status.pb.h"
#include "lb/admin/process_facts.h"
#include "lb/runtime/generation.h"

namespace tandem::lb {

// GET /status: every listener, pool and server of GEN at NOW.
wire::ProxyStatusReport status_report(const Generation& gen, const ProcessFacts& facts, SteadyTime now);

// GET /stick?pool=POOL: the live entries of POOL's stick table at NOW (none
// when the pool has no stickiness); nullopt when GEN has no such pool.
std::optional<wire::StickTableReport> stick_report(const Generation& gen, const std::string& pool, SteadyTime now);

}  // namespace tandem::lb
