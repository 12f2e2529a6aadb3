#include "stop_sequence.h"

namespace wellmonitor::run {

StopSequence::Step StopSequence::signal(double now, bool stream_started) {
  Step s;
  if (++signals_ > 1) {
    s.abort = true;
    waiting_ = false;
    return s;
  }
  if (stream_started) {
    s.send_eos = true;
    waiting_ = true;
    deadline_ = now + eos_timeout_s_;
  } else {
    s.stop_now = true;
  }
  return s;
}

StopSequence::Step StopSequence::eos() {
  Step s;
  if (waiting_) {
    waiting_ = false;
    s.stop_now = true;
  }
  return s;
}

StopSequence::Step StopSequence::tick(double now) {
  Step s;
  if (waiting_ && now >= deadline_) {
    waiting_ = false;
    s.stop_now = true;
    s.timed_out = true;
  }
  return s;
}

}  // namespace wellmonitor::run
