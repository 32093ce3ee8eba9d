// The route phase and the stickiness half of the relay phase, shared by the
// HTTP/1.1 session and each HTTP/2 stream (lb/runtime/h2_session.h), so both
// protocols stick, key and record the same way. Templates on the header's
// fields: ArenaFields for HTTP/1.1, Beast's fields for HTTP/2.
#pragma once

#include <optional>
#include <string_view>

#include <boost/beast/http/message.hpp>

#include "lb/http/cookies.h"
#include "lb/route/http_request_fields.h"
#include "lb/route/sticky_policy.h"
#include "lb/runtime/pool_runtime.h"
#include "lb/runtime/upstream_connect.h"

namespace tandem::lb {

// Route: the server the client is stuck to (lb/route/sticky_policy.h) and the
// key of the pool's algorithm (its registry row's key function), into OUT.
// The proxy's own stickiness cookie is removed from REQ when the rule says so.
template <class Fields>
StickyChoice route_request(const PoolRuntime& pool, boost::beast::http::header<true, Fields>& req,
                           std::string_view source, std::uint64_t source_hash, bool replayable,
                           UpstreamRequest& out) {
  const HttpRequestFields<Fields> fields(req);
  out.key_hash = pool.request_key({.source_hash = source_hash, .fields = &fields});
  out.allow_reuse = true;
  out.replayable = replayable;
  StickyChoice stuck;
  const auto sticky = pool.sticky_policy();
  if (!sticky.sticks()) return stuck;
  const auto now = Clock::now();
  StickyInputs in{.source = source};
  if (sticky.reads_cookie()) in.cookie = http::find_cookie(req, sticky.cookie_name());
  stuck = sticky.before(in, now);
  if (sticky.strips_cookie()) http::strip_cookie(req, sticky.cookie_name());
  if (stuck.stuck_name) out.preferred = pool.stuck_server(*stuck.stuck_name, now);
  return stuck;
}

// Stickiness after the pick: the cookie that names SERVER goes on RES; a
// table entry is put or moved.
template <class Fields>
void stick_response(const PoolRuntime& pool, const StickyChoice& stuck, ServerIndex server,
                    boost::beast::http::header<false, Fields>& res) {
  const auto sticky = pool.sticky_policy();
  if (!sticky.sticks()) return;
  const auto& name = pool.server(server).name;
  std::optional<std::string_view> learned;
  if (sticky.learns_cookie()) learned = http::find_set_cookie(res, sticky.cookie_name());
  const auto record = sticky.after(stuck, name, learned);
  if (record.action == StickyRecord::Action::set_cookie) {
    res.insert(boost::beast::http::field::set_cookie, http::make_sticky_cookie(sticky.cookie_name(), record.server));
  }
  sticky.record(record, Clock::now());
}

}  // namespace tandem::lb
