// The service heartbeat's decision: is the process sound, and what is it doing?
// systemd's watchdog (WatchdogSec=) restarts a service whose heartbeat stops,
// so the heartbeat must stop exactly when a restart is the cure:
//
//   sound   frames go through the pipeline; or the camera is down (lost,
//           not up yet) and the supervisor is reconnecting it: an outage is
//           reported (CAMERA LOST, MQTT), never "fixed" by a restart;
//           or the run is stopping or a recorded file has ended
//   stuck   a frame was handed to the pipeline and its push has not come back
//           for `hang_timeout_s`: a streaming thread hangs (an element that
//           blocks), and no reconnection can help, since every new source's
//           frames wait behind it
//
// A stuck main loop needs no rule: the heartbeat is sent from it, so it stops
// by itself. No GStreamer and no systemd here: times are seconds on a
// monotonic clock given by the caller, and the notify lines come back as
// text (sd_notify's "KEY=value" lines).
#pragma once

#include "supervisor.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace wellmonitor::run {

// What the runner knows at one moment.
struct HeartbeatInput {
  double now_s = 0;
  std::string camera;
  bool live = true;                      // a supervised live source (else a recorded file)
  SourceState source = SourceState::kStarting;
  bool reported_lost = false;            // the camera is reported lost and not back yet (retries included)
  std::string lost_reason;               // then: "no-frames", "error", "eos"
  double down_since_s = 0;               // while lost: when the outage began
  std::optional<double> busy_since_s;    // a frame's push into the pipeline began then and has not returned
  uint64_t frames_out = 0;               // frames out of the monitor since the start
  uint64_t wells_in_alarm = 0;
  bool stopping = false;                 // a stop was requested, or the run is ending
  bool shadow = false;                   // shadow mode: no alarm is sent (the status says so)
};

struct HeartbeatSettings {
  double hang_timeout_s = 20;  // a push longer than this is a hung streaming thread
  double watchdog_s = 0;       // systemd's WatchdogSec (0: no watchdog)
};

struct HeartbeatVerdict {
  bool sound = true;
  std::string status;  // one line for systemctl status
};

HeartbeatVerdict judge(const HeartbeatInput& in, const HeartbeatSettings& settings);

// What to send now: the sd_notify lines (may be empty), and a line for stderr
// when the verdict changes between sound and stuck.
struct HeartbeatStep {
  std::string notify;  // "WATCHDOG=1\nSTATUS=..." or ""
  std::string log;     // "" or one line (without the program's name)
  bool sound = true;
};

// The cadence around judge(): READY=1 once the pipeline is built, WATCHDOG=1
// every half watchdog period while sound (none while stuck), STATUS= only when
// the text changes, STOPPING=1 once.
class Heartbeat {
 public:
  explicit Heartbeat(HeartbeatSettings settings) : settings_(settings) {}

  // The pipeline is built (whether or not the camera is up yet).
  std::string ready(const HeartbeatInput& in);
  // Called on every tick of the main loop.
  HeartbeatStep tick(const HeartbeatInput& in);
  // A stop begins (signal, end of file, error): "STOPPING=1\nSTATUS=...".
  std::string stopping(const std::string& why);

  const HeartbeatSettings& settings() const { return settings_; }

 private:
  std::string status_line(const std::string& status);

  HeartbeatSettings settings_;
  bool ready_ = false;
  bool stopping_ = false;
  bool sound_ = true;
  double last_beat_s_ = -1e300;
  std::string last_status_;
};

// "1 well", "3 wells"
std::string count_of(uint64_t n, const char* one, const char* many);

}  // namespace wellmonitor::run
