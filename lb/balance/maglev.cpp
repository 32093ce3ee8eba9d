#include "lb/balance/maglev.h"

#include <algorithm>
#include <numeric>
#include <utility>

#include "lb/balance/key_hash.h"

namespace tandem::lb {

namespace {

constexpr std::uint32_t kEmpty = 0xFFFF'FFFFU;

// Distinguishes the skip hash from the offset hash (Maglev's h2 vs h1).
constexpr std::uint64_t kSkipSalt = 0x9E37'79B9'7F4A'7C15ULL;

// SLOT = (SLOT + SKIP) mod M, for SLOT, SKIP < M: no division.
inline void advance(std::uint64_t& slot, std::uint64_t skip, std::uint64_t m) {
  slot += skip;
  if (slot >= m) slot -= m;
}

// The smallest prime >= N (N >= 2). Trial division: table sizes are small.
std::uint64_t next_prime(std::uint64_t n) {
  for (;; ++n) {
    bool prime = true;
    for (std::uint64_t d = 2; d * d <= n && prime; ++d) prime = n % d != 0;
    if (prime) return n;
  }
}

}  // namespace

ConsistentHash::ConsistentHash(std::vector<Candidate> usable, std::uint32_t table_size)
    : candidates_(std::move(usable)) {
  clamp_weights(candidates_);
  const std::size_t n = candidates_.size();
  if (n == 0) return;
  // A prime size makes every permutation visit every slot; anything else
  // could leave a candidate cycling over full slots forever.
  const std::uint64_t m = next_prime(std::max<std::uint64_t>(table_size, 2));

  // Build in (name, index) order, so the table does not depend on input order.
  std::vector<std::uint32_t> order(n);
  std::iota(order.begin(), order.end(), 0U);
  std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
    const Candidate& x = candidates_[a];
    const Candidate& y = candidates_[b];
    return x.name != y.name ? x.name < y.name : x.index < y.index;
  });

  // Each candidate's permutation: slot_j = (offset + j * skip) mod m.
  std::vector<std::uint64_t> slot(n);  // next slot to try, per candidate
  std::vector<std::uint64_t> skip(n);
  std::vector<std::uint64_t> credit(n, 0);
  std::uint64_t max_weight = 1;
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint64_t h = stable_hash(candidates_[i].name);
    slot[i] = h % m;
    skip[i] = mix64(h ^ kSkipSalt) % (m - 1) + 1;
    max_weight = std::max<std::uint64_t>(max_weight, candidates_[i].weight);
  }

  // Rounds: a candidate earns its weight in credit and claims one slot per
  // max_weight earned, so the heaviest claims every round (equal weights:
  // exactly the paper's algorithm) and the others in proportion.
  table_.assign(m, kEmpty);
  std::uint64_t filled = 0;
  for (;;) {
    for (const std::uint32_t i : order) {
      credit[i] += candidates_[i].weight;
      if (credit[i] < max_weight) continue;
      credit[i] -= max_weight;
      while (table_[slot[i]] != kEmpty) advance(slot[i], skip[i], m);
      table_[slot[i]] = i;
      advance(slot[i], skip[i], m);
      if (++filled == m) return;
    }
  }
}

std::optional<ServerIndex> ConsistentHash::pick(const PickContext& ctx) {
  if (table_.empty()) return std::nullopt;
  if (!ctx.exclude.empty() &&
      std::all_of(candidates_.begin(), candidates_.end(),
                  [&](const Candidate& c) { return is_excluded(ctx, c.index); })) {
    return std::nullopt;
  }
  const std::size_t m = table_.size();
  std::size_t s = mix64(ctx.key_hash) % m;
  for (std::size_t step = 0; step < m; ++step) {
    const Candidate& c = candidates_[table_[s]];
    if (!is_excluded(ctx, c.index)) return c.index;
    s = s + 1 == m ? 0 : s + 1;
  }
  return std::nullopt;  // unreachable: some candidate is not excluded
}

}  // namespace tandem::lb
