// The balancing interface: pick one server of a pool for one request.
// Pure decisions, no I/O, no Asio (DESIGN.md decision 1, STYLE.md habit 1).
//
// Threading: one Balancer per worker thread and pool; not thread-safe. A
// balancer's membership is immutable: when membership, health or weights
// change, the runtime builds a new one (make_balancer) and swaps it in.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace tandem::lb {

// Index of a server in its pool's config order (Pool.servers).
using ServerIndex = std::uint32_t;

// One usable server (up, not in maintenance or drain). WEIGHT >= 1, already
// scaled by slow start; 0 is treated as 1. NAME keys the hash algorithms, so
// the same server lands on the same table slots on every node.
struct Candidate {
  ServerIndex index = 0;
  std::uint32_t weight = 1;
  std::string name;
};

// Live per-worker load of one server, indexed by ServerIndex.
struct ServerLoad {
  std::uint32_t active = 0;       // requests/connections in flight
  double ewma_response_ms = 0;    // smoothed response time; <= 0 = not known yet
};

// Small fast seeded PRNG (SplitMix64, Steele/Lea/Flood, OOPSLA 2014). A value
// type: copy it to replay a sequence. Not for anything secret.
class Rng {
 public:
  // Seeds the generator; equal seeds give equal sequences.
  explicit Rng(std::uint64_t seed = 0x5EED'7A6D'E3C0'FFEEULL) noexcept : state_(seed) {}

  // Next 64 uniformly distributed bits.
  std::uint64_t next() noexcept {
    std::uint64_t z = (state_ += 0x9E37'79B9'7F4A'7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58'476D'1CE4'E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D0'49BB'1331'11EBULL;
    return z ^ (z >> 31);
  }

  // Uniform in [0, N), without modulo bias (Lemire, "Fast random integer
  // generation in an interval", TOMACS 2019). N == 0 returns 0.
  std::uint64_t uniform(std::uint64_t n) noexcept {
    if (n == 0) return 0;
    unsigned __int128 m = static_cast<unsigned __int128>(next()) * n;
    auto low = static_cast<std::uint64_t>(m);
    if (low < n) {
      const std::uint64_t threshold = (0 - n) % n;
      while (low < threshold) {
        m = static_cast<unsigned __int128>(next()) * n;
        low = static_cast<std::uint64_t>(m);
      }
    }
    return static_cast<std::uint64_t>(m >> 64);
  }

 private:
  std::uint64_t state_;
};

// What one pick may look at. Everything is borrowed for the call only.
struct PickContext {
  std::uint64_t key_hash = 0;              // stable_hash of source IP / configured key (hash algorithms)
  std::span<const ServerLoad> load;        // by ServerIndex; may be empty or short: missing = all zero
  std::span<const ServerIndex> exclude;    // servers already tried for this request (retry): never picked
  Rng* rng = nullptr;                      // power-of-two; nullptr -> the balancer's own
};

// Chooses a server for a request. Implementations live one per file pair
// (round_robin, smooth_weighted_round_robin, ...); build them with
// make_balancer (registry.h). pick() never allocates, blocks or throws.
class Balancer {
 public:
  virtual ~Balancer() = default;

  // The chosen server, or nullopt when no usable server is left (none up, or
  // all of them in CTX.exclude).
  virtual std::optional<ServerIndex> pick(const PickContext& ctx) = 0;
};

// True when INDEX is in CTX.exclude (a short list: linear scan).
inline bool is_excluded(const PickContext& ctx, ServerIndex index) noexcept {
  return std::find(ctx.exclude.begin(), ctx.exclude.end(), index) != ctx.exclude.end();
}

// The load of INDEX, or all zero when CTX.load does not cover it.
inline ServerLoad load_of(const PickContext& ctx, ServerIndex index) noexcept {
  return index < ctx.load.size() ? ctx.load[index] : ServerLoad{};
}

// Raises every weight of 0 to 1, so algorithms can divide by weights.
inline void clamp_weights(std::vector<Candidate>& candidates) noexcept {
  for (auto& c : candidates) c.weight = std::max<std::uint32_t>(c.weight, 1);
}

}  // namespace tandem::lb
