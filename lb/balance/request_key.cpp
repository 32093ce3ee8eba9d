#include "lb/balance/request_key.h"

#include "lb/balance/key_hash.h"

namespace tandem::lb {

std::uint64_t no_key(const config::Key&, const KeyInputs&) { return 0; }

std::uint64_t source_key(const config::Key&, const KeyInputs& in) { return in.source_hash; }

std::uint64_t configured_key(const config::Key& key, const KeyInputs& in) {
  if (in.fields == nullptr) return in.source_hash;
  switch (key.kind()) {
    case config::Key::HEADER:
      return stable_hash(in.fields->header(key.name()).value_or(std::string_view()));
    case config::Key::COOKIE:
      return stable_hash(in.fields->cookie(key.name()).value_or(std::string_view()));
    case config::Key::URI:
      return stable_hash(in.fields->target());
    default:
      return in.source_hash;
  }
}

}  // namespace tandem::lb
