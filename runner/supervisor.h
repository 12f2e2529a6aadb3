// The source supervisor: a state machine over the camera's source, fed by what
// happens to it ("a frame arrived", "it posted an error", "its stream ended",
// "time passed") and answering with what the runner must do (tear the source
// down, build a new one, report the camera lost or back). No GStreamer here:
// times are seconds on a monotonic clock, given by the caller.
//
//   starting --frame--> up --(no frame for watchdog s | error | eos)--> lost
//   starting --(no frame within start timeout | error | eos)--> lost
//   lost (waiting to retry) --tick at retry time--> starting
//
// Retries go on forever, 1, 2, 4, ... seconds apart, at most backoff_max_s; the
// delay starts again at backoff_first_s once frames flow. The camera is reported
// lost once per outage (on the first failure, also when it was never up) and
// back when frames flow after that.
//
// A recorded file is not supervised (reconnect = false): its end finishes the
// run and an error fails it.
#pragma once

#include <optional>
#include <string>

namespace wellmonitor::run {

enum class SourceState { kStarting, kUp, kLost, kFinished, kFailed };
enum class LossReason { kNoFrames, kError, kEos };

// "starting", "up", "lost", "finished", "failed"
const char* to_string(SourceState state);
// "no-frames", "error", "eos": the `reason` field of wellmonitor-camera-lost.
const char* to_string(LossReason reason);

struct SupervisorSettings {
  bool reconnect = true;         // a live source; false: a recorded file
  double watchdog_s = 5.0;       // seconds without a frame = camera lost
  double start_timeout_s = 10.0; // seconds a new source has for its first frame
  double backoff_first_s = 1.0;  // first retry delay
  double backoff_max_s = 30.0;   // longest retry delay
};

// What to do after one input. Several may be set at once (stop the source and
// report it lost).
struct SupervisorActions {
  bool stop_source = false;                // tear the current source down
  bool start_source = false;               // build and start a new source
  std::optional<LossReason> report_lost;   // the camera is now reported lost
  bool came_up = false;                    // the source's first frame (each attempt)
  bool report_back = false;                // the camera is back (frames flow again)
  std::optional<double> retry_in_s;        // a retry is scheduled this far ahead
  std::optional<LossReason> failure;       // this attempt failed (also when already reported)
  bool before_first_frame = false;         // ...before its first frame
  bool finished = false;                   // a recorded file ended: the run is done
  bool failed = false;                     // a recorded file failed: the run is over

  bool any() const {
    return stop_source || start_source || report_lost || came_up || report_back || retry_in_s || failure || finished ||
           failed;
  }
};

class SourceSupervisor {
 public:
  explicit SourceSupervisor(SupervisorSettings settings);

  // The run starts: build the first source.
  SupervisorActions start(double now);
  SupervisorActions frame(double now);
  SupervisorActions error(double now);
  SupervisorActions eos(double now);
  SupervisorActions tick(double now);

  SourceState state() const { return state_; }
  const SupervisorSettings& settings() const { return settings_; }
  // While lost: when the next attempt starts.
  double retry_at() const { return retry_at_; }
  // The delay the next failure will wait.
  double next_backoff() const { return backoff_; }
  // Failed attempts since the camera was last up (or since the start).
  int failed_attempts() const { return failed_attempts_; }
  // Reported lost and not back yet.
  bool reported_lost() const { return reported_lost_; }
  // When the current outage began (the first failure), for "down for N s".
  double down_since() const { return down_since_; }
  // When the last frame arrived; negative when none has.
  double last_frame() const { return last_frame_; }

 private:
  SupervisorActions fail(double now, LossReason reason);

  SupervisorSettings settings_;
  SourceState state_ = SourceState::kStarting;
  double started_at_ = 0;     // when the current attempt started
  double last_frame_ = -1;
  double retry_at_ = 0;
  double backoff_;
  int failed_attempts_ = 0;
  bool reported_lost_ = false;
  double down_since_ = 0;
};

}  // namespace wellmonitor::run
