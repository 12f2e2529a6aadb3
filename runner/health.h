// What the runner knows about its camera and pipeline right now, written by the
// streaming threads and the main loop, read by anyone (the service heartbeat and
// the metrics endpoint read it): lock-free, every field on its own.
#pragma once

#include <atomic>
#include <cstdint>

namespace wellmonitor::run {

struct Health {
  // A source is delivering frames (the supervisor's "up").
  std::atomic<bool> camera_up{false};
  // Frames out of the source (decoded, before the monitor) since the start.
  std::atomic<uint64_t> frames_in{0};
  // Frames that came out of the monitor element (analysed or passed on): these
  // moving is what tells a sound pipeline from a hung streaming thread.
  std::atomic<uint64_t> frames_out{0};
  // Monotonic time (ns, g_get_monotonic_time() * 1000) of the last frame in and
  // out; 0 = none yet.
  std::atomic<int64_t> last_frame_in_ns{0};
  std::atomic<int64_t> last_frame_out_ns{0};
  // Times the source was lost, and brought back.
  std::atomic<uint64_t> camera_losses{0};
  std::atomic<uint64_t> camera_returns{0};
  // Alarm and clear lines printed.
  std::atomic<uint64_t> alarms{0};
  std::atomic<uint64_t> clears{0};
  // Monotonic time (ns) of the last main-loop tick: a stuck main loop stops it.
  std::atomic<int64_t> last_tick_ns{0};

  // --- kept for the service (service.h): the heartbeat and the metrics
  // Monotonic time (ns) the run started.
  std::atomic<int64_t> started_ns{0};
  // A source's frame has been on its way through the pipeline since this
  // monotonic time (ns): its push has not returned yet; 0 = none under way.
  std::atomic<int64_t> busy_since_ns{0};
  // wellmonitor's own counters, from its "wellmonitor-scores" messages (posted
  // while the metrics endpoint is on): frames scored, and passed on late.
  std::atomic<bool> monitor_counters{false};
  std::atomic<uint64_t> frames_analysed{0};
  std::atomic<uint64_t> frames_late{0};
  // From the wells' metas on the last frame out of the monitor.
  std::atomic<uint64_t> wells_in_alarm{0};
  std::atomic<double> threshold{-1};  // the threshold in force; < 0: not known yet
  // The heartbeat's verdict: frames get through, or the camera is reconnected.
  std::atomic<bool> sound{true};
};

}  // namespace wellmonitor::run
