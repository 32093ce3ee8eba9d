#include "lb/route/sticky_policy.h"

namespace tandem::lb {

StickyChoice StickyPolicy::before(const StickyInputs& in, TimePoint now) const {
  StickyChoice choice;
  switch (rule_.kind) {
    case config::Stickiness::SOURCE_IP:
      choice.table_key = std::string(in.source);
      break;
    case config::Stickiness::LEARN_COOKIE:
      if (in.cookie) choice.table_key = std::string(*in.cookie);
      break;
    case config::Stickiness::INSERT_COOKIE:
      // The cookie names the server itself: no table.
      if (in.cookie) choice.stuck_name = std::string(*in.cookie);
      break;
    default:
      break;
  }
  if (table_ != nullptr && choice.table_key) choice.stuck_name = table_->lookup(*choice.table_key, now);
  return choice;
}

StickyRecord StickyPolicy::after(const StickyChoice& choice, std::string_view server,
                                 std::optional<std::string_view> learned) const {
  using Action = StickyRecord::Action;
  const bool moved = !choice.stuck_name || *choice.stuck_name != server;
  switch (rule_.kind) {
    case config::Stickiness::INSERT_COOKIE:
      // A client already carrying this server's cookie needs no new one.
      if (moved) return {Action::set_cookie, {}, server};
      break;
    case config::Stickiness::LEARN_COOKIE:
      if (table_ == nullptr) break;
      // The application named a session: it sticks to the server that named it.
      if (learned) return {Action::table_put, *learned, server};
      // The stuck server was unusable and another served: follow the client.
      if (choice.table_key && choice.stuck_name && *choice.stuck_name != server) {
        return {Action::table_move, *choice.table_key, server};
      }
      break;
    case config::Stickiness::SOURCE_IP:
      if (table_ != nullptr && choice.table_key && moved) return {Action::table_put, *choice.table_key, server};
      break;
    default:
      break;
  }
  return {};
}

void StickyPolicy::record(const StickyRecord& record, TimePoint now) const {
  if (table_ == nullptr) return;
  if (record.action == StickyRecord::Action::table_put) table_->put(record.key, record.server, now);
  if (record.action == StickyRecord::Action::table_move) table_->move(record.key, record.server, now);
}

}  // namespace tandem::lb
