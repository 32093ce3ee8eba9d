// The one registry of balancing algorithms, keyed by the config enum
// (STYLE.md habit 8): adding an algorithm is one file pair and one line in
// registry.cpp.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "config/proto/cluster.pb.h"
#include "lb/balance/balancer.h"
#include "lb/balance/request_key.h"

namespace tandem::lb {

// A new balancer of ALGORITHM over USABLE (ALGORITHM_UNSPECIFIED = round
// robin). nullptr for a value the registry does not know, which config
// validation rejects first (config::Algorithm_IsValid). Builds tables: call it
// when membership changes, not per request.
std::unique_ptr<Balancer> make_balancer(config::Algorithm algorithm, std::vector<Candidate> usable);

// The function that computes ALGORITHM's key per request (request_key.h):
// no_key for the algorithms that do not hash, and for a value the registry
// does not know.
KeyFunction key_function(config::Algorithm algorithm);

// The algorithm's name for logs and metrics ("round_robin", ...); "unknown"
// for a value the registry does not know.
std::string_view algorithm_name(config::Algorithm algorithm);

}  // namespace tandem::lb
