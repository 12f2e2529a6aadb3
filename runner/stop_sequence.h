// How the runner stops on SIGTERM / SIGINT (to it or to its process group):
// the first signal sends an end-of-stream through the pipeline (open alarms
// end, the recording is closed, queued events are delivered) and waits for it
// to reach the sinks, at most `eos_timeout_s`; then the pipeline is stopped. A
// second signal stops at once. Without a stream yet (the camera never came up)
// there is nothing to finish: it stops straight away.
#pragma once

namespace wellmonitor::run {

class StopSequence {
 public:
  struct Step {
    bool send_eos = false;   // push EOS into the pipeline and wait
    bool stop_now = false;   // take the pipeline down now (EOS done, or nothing to wait for)
    bool abort = false;      // the second signal: exit at once
    bool timed_out = false;  // stop_now because the EOS did not arrive in time
  };

  explicit StopSequence(double eos_timeout_s) : eos_timeout_s_(eos_timeout_s) {}

  // A stop signal at `now`; `stream_started`: data has flowed through the pipeline.
  Step signal(double now, bool stream_started);
  // The EOS reached every sink.
  Step eos();
  Step tick(double now);

  bool requested() const { return signals_ > 0; }
  int signals() const { return signals_; }
  bool waiting_for_eos() const { return waiting_; }

 private:
  double eos_timeout_s_;
  int signals_ = 0;
  bool waiting_ = false;
  double deadline_ = 0;
};

}  // namespace wellmonitor::run
