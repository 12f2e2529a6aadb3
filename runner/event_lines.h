// The lines the runner prints for people and log readers, one per event:
//
//   ALARM well=r3w11 time=12.417s frame=149 score=0.0813 threshold=0.0520
//   CLEAR well=r3w11 time=16.083s frame=193 score=0.0411 threshold=0.0520
//   CAMERA LOST camera=table1 reason=no-frames
//   CAMERA BACK camera=table1 after=12.4s
//
// `time` is the frame's stream time (position in a file; "?" when unknown),
// `frame` its index. EventLines writes each line to stdout and to the log file
// the moment it is given one, flushed (one write(2) per line on the log), and
// counts them.
#pragma once

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <utility>

namespace wellmonitor::run {

struct AlarmEvent {
  enum class Kind { kAlarm, kClear };
  Kind kind = Kind::kAlarm;
  std::string well;
  std::optional<uint64_t> stream_time_ns;  // none: unknown
  uint64_t frame = 0;
  double score = 0;
  double threshold = 0;
  std::string reason;  // a clear's: normal, shelved, camera-lost, reconfigured, ... ("": not said)
};

// "ALARM well=W time=Ts frame=N score=S threshold=T"; a clear's line ends with
// " reason=R" when the clear says why.
std::string format_alarm_line(const AlarmEvent& e);
std::string format_camera_lost_line(const std::string& camera, const std::string& reason);
std::string format_camera_back_line(const std::string& camera, double down_seconds);

class EventLines {
 public:
  // `out`: where the lines go (stdout); `log_path` empty: no log.
  EventLines(std::FILE* out, std::string log_path);
  ~EventLines();
  EventLines(const EventLines&) = delete;
  EventLines& operator=(const EventLines&) = delete;

  // Opens the log, truncated or appended to; false with `error` set when it
  // cannot be written.
  bool open(bool truncate, std::string& error);

  void alarm(const AlarmEvent& e);
  // Put before every ALARM and CLEAR line ("SHADOW ": shadow mode, nothing was sent).
  void set_alarm_prefix(std::string prefix) { alarm_prefix_ = std::move(prefix); }
  // Any other line (camera lost/back).
  void line(const std::string& text);

  uint64_t alarms() const { return alarms_; }
  uint64_t clears() const { return clears_; }
  const std::string& log_path() const { return log_path_; }
  // Lines that could not be written to the log (disk full, ...).
  uint64_t log_failures() const { return log_failures_; }

 private:
  std::FILE* out_;
  std::string log_path_;
  std::string alarm_prefix_;
  int log_fd_ = -1;
  uint64_t alarms_ = 0, clears_ = 0, log_failures_ = 0;
};

}  // namespace wellmonitor::run
