#include "ha/control/control_admission.h"

namespace tandem::ha {

ConnectionAdmission::Decision ConnectionAdmission::admit(const std::string& source) {
  Decision out;
  // The source's own oldest idler first: one address cannot hold more.
  if (limits_.per_source > 0) {
    auto it = by_source_.find(source);
    while (it != by_source_.end() && it->second.size() >= limits_.per_source) {
      const Id oldest = *it->second.begin();
      out.close.push_back(oldest);
      out.reason = "per_source";
      forget(oldest);
      it = by_source_.find(source);
    }
  }
  // Then room overall, taken from the oldest unauthenticated connection.
  while (connections_.size() >= limits_.total) {
    if (unauthenticated_.empty()) {
      out.reason = "full_authenticated";
      return out;  // refused: every slot is a key holder's
    }
    const Id oldest = unauthenticated_.begin()->first;
    out.close.push_back(oldest);
    out.reason = "full";
    forget(oldest);
  }
  const Id id = next_id_++;
  connections_.emplace(id, Connection{source, false});
  unauthenticated_.emplace(id, source);
  by_source_[source].insert(id);
  out.admitted = id;
  return out;
}

void ConnectionAdmission::authenticated(Id id) {
  auto it = connections_.find(id);
  if (it == connections_.end() || it->second.authenticated) return;
  it->second.authenticated = true;
  unauthenticated_.erase(id);
  auto src = by_source_.find(it->second.source);
  if (src != by_source_.end()) {
    src->second.erase(id);
    if (src->second.empty()) by_source_.erase(src);
  }
}

void ConnectionAdmission::closed(Id id) { forget(id); }

void ConnectionAdmission::forget(Id id) {
  auto it = connections_.find(id);
  if (it == connections_.end()) return;
  if (!it->second.authenticated) {
    unauthenticated_.erase(id);
    auto src = by_source_.find(it->second.source);
    if (src != by_source_.end()) {
      src->second.erase(id);
      if (src->second.empty()) by_source_.erase(src);
    }
  }
  connections_.erase(it);
}

std::size_t ConnectionAdmission::unauthenticated_from(const std::string& source) const {
  auto it = by_source_.find(source);
  return it == by_source_.end() ? 0 : it->second.size();
}

}  // namespace tandem::ha
