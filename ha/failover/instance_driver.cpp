#include "ha/failover/instance_driver.h"

#include <variant>

#include <spdlog/spdlog.h>

namespace tandem::ha {

namespace {

long long to_ms(Duration d) { return std::chrono::duration_cast<Milliseconds>(d).count(); }

}  // namespace

InstanceDriver::InstanceDriver(InstanceConfig config, InstanceDriverPorts ports)
    : machine_(std::move(config)), ports_(std::move(ports)) {}

void InstanceDriver::start(TimePoint now) {
  since_unix_ms_ = ports_.unix_now_ms();
  apply(machine_.start(now));
}

void InstanceDriver::advert_received(const Advert& advert, TimePoint now) {
  apply(machine_.advert_received(advert, now));
}

void InstanceDriver::timer_fired(TimePoint now) {
  armed_for_.reset();  // the timer is spent
  apply(machine_.timer_fired(now));
}

void InstanceDriver::track_changed(const std::string& track, bool healthy, unsigned weight, TimePoint now) {
  if (weight == 0) {
    apply(healthy ? machine_.tracked_recovery(track, now) : machine_.tracked_failure(track, now));
  } else {
    apply(machine_.priority_adjust(track, healthy ? 0 : weight, now));
  }
}

void InstanceDriver::serving_update(bool can_serve, const std::string& why, TimePoint now) {
  if (serving_why_ == why) return;
  serving_why_ = why;
  spdlog::log(can_serve ? spdlog::level::info : spdlog::level::warn, "serving instance={} can_serve={} why=\"{}\"",
              name(), can_serve, why);
  apply(machine_.serving_update(can_serve, why, now));
}

void InstanceDriver::quorum_update(std::vector<std::string> heard, TimePoint now) {
  if (quorum_heard_ == heard) return;
  quorum_heard_ = heard;
  apply(machine_.quorum_update(std::move(heard), now));
}

void InstanceDriver::peer_lost(const std::string& peer, std::optional<TimePoint> confirmed_aligned, TimePoint now) {
  apply(confirmed_aligned ? machine_.peer_confirmed_down(peer, *confirmed_aligned, now)
                          : machine_.peer_connection_lost(peer, now));
}

SwitchoverOutcome InstanceDriver::switchover(const std::optional<std::string>& to, TimePoint now) {
  const bool was_master = machine_.state() == State::kMaster;
  const Actions actions = machine_.switchover_requested(to, now);
  spdlog::info("switchover_requested instance={} to={}", name(), to.value_or("-"));
  SwitchoverOutcome out;
  out.message = name() + ": ";
  std::optional<std::string> successor;
  for (const auto& a : actions) {
    if (const auto* n = std::get_if<Notice>(&a)) out.message += n->text + "; ";
    if (const auto* s = std::get_if<SendAdvert>(&a); s && s->priority == 0) successor = s->successor;
  }
  apply(actions);
  out.handed_over = was_master && machine_.state() != State::kMaster;
  if (out.handed_over) {
    out.message += "handed over to " + successor.value_or("the best backup");
  } else if (out.message.size() >= 2 && out.message.ends_with("; ")) {
    out.message.resize(out.message.size() - 2);
  } else {
    out.message += "not handed over (state " + std::string(to_string(machine_.state())) + ")";
  }
  return out;
}

void InstanceDriver::shutdown(TimePoint now) {
  perform(machine_.shutdown(now));
  stopped_ = true;
  armed_for_.reset();
  ports_.set_timer(std::nullopt);
}

void InstanceDriver::apply(const Actions& actions) {
  perform(actions);
  arm();
}

void InstanceDriver::arm() {
  if (stopped_) return;
  const auto deadline = machine_.next_deadline();
  if (deadline == armed_for_) return;
  armed_for_ = deadline;
  ports_.set_timer(deadline);
}

// Every advert goes out twice: the machine decides the copies
// (instance_machine.h, "Repeats").
void InstanceDriver::perform(const Actions& actions) {
  bool burst_started = false;
  bool transitioned = false;
  for (const auto& action : actions) {
    if (const auto* send = std::get_if<SendAdvert>(&action)) {
      ports_.send_advert(*send);
      if (send->priority == 0)
        spdlog::info("advert_resign instance={} state={} successor={}", name(), to_string(send->state),
                     send->successor.value_or("-"));
    } else if (std::holds_alternative<ClaimVip>(action)) {
      ports_.claim_vips();
      burst_started = true;
    } else if (std::holds_alternative<ReleaseVip>(action)) {
      ports_.release_vips();
    } else if (std::holds_alternative<SendGratuitousArp>(action)) {
      // A claim just started a burst whose first announcement went out now.
      if (!burst_started) ports_.announce_vips();
    } else if (const auto* t = std::get_if<Transition>(&action)) {
      spdlog::info("transition instance={} from={} to={} cause=\"{}\"", name(), to_string(t->from), to_string(t->to),
                   t->cause);
      since_unix_ms_ = ports_.unix_now_ms();
      ports_.transitioned(*t);
      transitioned = true;
    } else if (const auto* stall = std::get_if<Stall>(&action)) {
      ++stalls_;
      spdlog::warn("stall instance={} gap_ms={} late_ms={} message=\"scheduler stall of {} ms\"", name(),
                   to_ms(stall->gap), to_ms(stall->late), to_ms(stall->late));
    } else if (const auto* notice = std::get_if<Notice>(&action)) {
      spdlog::info("notice instance={} text=\"{}\"", name(), notice->text);
    }
  }
  ports_.after_actions(transitioned);
}

}  // namespace tandem::ha
