#include "lb/health/server_health.h"

#include <utility>

namespace tandem::lb {

ServerHealth::ServerHealth(config::ServerState admin, std::optional<HealthState> active,
                           PassiveEjector passive, std::chrono::milliseconds slow_start)
    : admin_(admin), active_(std::move(active)), passive_(passive), slow_start_(slow_start) {}

std::optional<Transition> ServerHealth::on_check(bool ok, TimePoint now,
                                                 std::string_view detail) {
  if (!active_) return std::nullopt;
  auto t = active_->observe(ok, now, detail);
  if (t && t->to == Health::kUp) back_since_ = now;
  return t;
}

std::optional<Transition> ServerHealth::on_request(bool ok, TimePoint now) {
  auto t = passive_.on_result(ok, now);
  if (t && t->to == Health::kUp) back_since_ = now;
  return t;
}

std::optional<Transition> ServerHealth::tick(TimePoint now) {
  auto t = passive_.tick(now);
  if (t && t->to == Health::kUp) back_since_ = now;
  return t;
}

bool ServerHealth::set_admin(config::ServerState admin, TimePoint now) {
  if (admin == admin_) return false;
  if (admin_ == config::MAINTENANCE) back_since_ = now;
  admin_ = admin;
  return true;
}

ServerCondition ServerHealth::condition(TimePoint now) const {
  return ServerCondition{admin_, healthy(), ejected(now)};
}

bool ServerHealth::takes_new_clients(TimePoint now) const {
  return lb::takes_new_clients(condition(now));
}

bool ServerHealth::takes_stuck_clients(TimePoint now) const {
  return lb::takes_stuck_clients(condition(now));
}

std::uint32_t ServerHealth::effective_weight(std::uint32_t weight, TimePoint now) const {
  if (!back_since_) return weight;
  return slow_start_weight(weight, now - *back_since_, slow_start_);
}

}  // namespace tandem::lb
