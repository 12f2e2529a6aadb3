#include "supervisor.h"

#include <algorithm>

namespace wellmonitor::run {

const char* to_string(SourceState state) {
  switch (state) {
    case SourceState::kStarting:
      return "starting";
    case SourceState::kUp:
      return "up";
    case SourceState::kLost:
      return "lost";
    case SourceState::kFinished:
      return "finished";
    case SourceState::kFailed:
      return "failed";
  }
  return "?";
}

const char* to_string(LossReason reason) {
  switch (reason) {
    case LossReason::kNoFrames:
      return "no-frames";
    case LossReason::kError:
      return "error";
    case LossReason::kEos:
      return "eos";
  }
  return "?";
}

SourceSupervisor::SourceSupervisor(SupervisorSettings settings)
    : settings_(settings), backoff_(settings.backoff_first_s) {}

SupervisorActions SourceSupervisor::start(double now) {
  state_ = SourceState::kStarting;
  started_at_ = now;
  SupervisorActions a;
  a.start_source = true;
  return a;
}

SupervisorActions SourceSupervisor::frame(double now) {
  SupervisorActions a;
  switch (state_) {
    case SourceState::kStarting:
      state_ = SourceState::kUp;
      a.came_up = true;
      failed_attempts_ = 0;
      backoff_ = settings_.backoff_first_s;
      if (reported_lost_) {
        reported_lost_ = false;
        a.report_back = true;
      }
      last_frame_ = now;
      break;
    case SourceState::kUp:
      last_frame_ = now;
      break;
    default:
      break;  // a late frame of a source already torn down
  }
  return a;
}

SupervisorActions SourceSupervisor::fail(double now, LossReason reason) {
  SupervisorActions a;
  if (!settings_.reconnect) {
    // A recorded file: nothing to reconnect. Its end is the run's end.
    if (state_ == SourceState::kFinished || state_ == SourceState::kFailed) return a;
    if (reason == LossReason::kEos) {
      state_ = SourceState::kFinished;
      a.finished = true;
    } else {
      state_ = SourceState::kFailed;
      a.failed = true;
      a.failure = reason;
    }
    return a;
  }
  if (state_ != SourceState::kStarting && state_ != SourceState::kUp) return a;  // already down
  a.stop_source = true;
  a.failure = reason;
  a.before_first_frame = state_ == SourceState::kStarting;
  if (!reported_lost_) {
    reported_lost_ = true;
    down_since_ = now;
    a.report_lost = reason;
  }
  state_ = SourceState::kLost;
  ++failed_attempts_;
  retry_at_ = now + backoff_;
  a.retry_in_s = backoff_;
  backoff_ = std::min(backoff_ * 2, settings_.backoff_max_s);
  return a;
}

SupervisorActions SourceSupervisor::error(double now) { return fail(now, LossReason::kError); }

SupervisorActions SourceSupervisor::eos(double now) { return fail(now, LossReason::kEos); }

SupervisorActions SourceSupervisor::tick(double now) {
  switch (state_) {
    case SourceState::kStarting:
      if (settings_.reconnect && now - started_at_ >= settings_.start_timeout_s) return fail(now, LossReason::kNoFrames);
      break;
    case SourceState::kUp:
      if (settings_.reconnect && now - last_frame_ >= settings_.watchdog_s) return fail(now, LossReason::kNoFrames);
      break;
    case SourceState::kLost:
      if (now >= retry_at_) return start(now);
      break;
    default:
      break;
  }
  return {};
}

}  // namespace wellmonitor::run
