// Stickiness on the request path, as two decisions around the pick: BEFORE
// (which server this client is stuck to, if any, from the stick table or
// the proxy's cookie) and AFTER (what to record once a server answered: a
// cookie to set, a table entry to put or move). The same policy serves the
// TCP path, where only SOURCE_IP stickiness applies (config validation
// refuses cookie stickiness on a TCP listener). Pure decisions; the table is
// the only state it touches, and only through record().
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "config/defaults.h"
#include "lb/stick/stick_table.h"

namespace tandem::lb {

// What a request brings that stickiness may look at, borrowed for the call.
struct StickyInputs {
  std::string_view source;                 // the client's address
  std::optional<std::string_view> cookie;  // the stickiness cookie, if the request sent one
};

// The request's preference, decided before the pick.
struct StickyChoice {
  std::optional<std::string> table_key;   // the stick-table key (SOURCE_IP, LEARN_COOKIE)
  std::optional<std::string> stuck_name;  // the server the client is stuck to, by name
};

// What to record once SERVER answered; borrows from the choice and the
// server's name, so it lives no longer than the request.
struct StickyRecord {
  enum class Action {
    none,        // nothing changes
    set_cookie,  // INSERT_COOKIE: tell the client its server (Set-Cookie: <cookie>=SERVER)
    table_put,   // remember KEY -> SERVER
    table_move,  // KEY's server was unusable: follow the client to SERVER
  };
  Action action = Action::none;
  std::string_view key;
  std::string_view server;
};

class StickyPolicy {
 public:
  // RULE is the pool's stickiness; TABLE its stick table, null when the
  // rule keeps none (NONE, INSERT_COOKIE).
  StickyPolicy(const config::EffectiveStickiness& rule, StickTable* table) : rule_(rule), table_(table) {}

  // Whether the pool sticks at all; when not, before() and after() decide
  // nothing and the request path skips them.
  bool sticks() const { return rule_.kind != config::Stickiness::KIND_UNSPECIFIED; }

  // Whether the request's cookie named cookie_name() is an input (the two
  // cookie rules); the caller looks it up only then.
  bool reads_cookie() const {
    return rule_.kind == config::Stickiness::LEARN_COOKIE || rule_.kind == config::Stickiness::INSERT_COOKIE;
  }
  // Whether that cookie is removed before the request is forwarded:
  // INSERT_COOKIE's cookie is for the proxy, not the application (HAProxy's
  // "indirect").
  bool strips_cookie() const { return rule_.kind == config::Stickiness::INSERT_COOKIE; }
  // Whether the response's Set-Cookie for cookie_name() is an input of after().
  bool learns_cookie() const { return rule_.kind == config::Stickiness::LEARN_COOKIE && table_ != nullptr; }
  const std::string& cookie_name() const { return rule_.cookie; }

  // BEFORE: the table key and the server the client is stuck to, looked up
  // at NOW (an expired entry names nobody). Whether that server still takes
  // stuck clients is the pool's call (PoolRuntime::stuck_server).
  StickyChoice before(const StickyInputs& in, TimePoint now) const;

  // AFTER: what to record now that SERVER answered, for CHOICE. LEARNED: the
  // value of the response's Set-Cookie for cookie_name(), when learns_cookie().
  StickyRecord after(const StickyChoice& choice, std::string_view server,
                     std::optional<std::string_view> learned = std::nullopt) const;

  // Applies a table_put or table_move of RECORD to the table at NOW;
  // set_cookie and none are not the table's (the caller sets the cookie).
  void record(const StickyRecord& record, TimePoint now) const;

 private:
  const config::EffectiveStickiness& rule_;
  StickTable* table_;
};

}  // namespace tandem::lb
