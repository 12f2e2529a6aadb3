// Shadow mode (wellmonitor-run --shadow DIR), for commissioning on a plant's own
// video: the monitor runs as it would in service but sends no alarm (no MQTT, no
// events file), and keeps under DIR, for every alarm it would have raised, the
// well's crop, a snapshot of the frame with the well marked and a short clip, for
// a person to label them (wellmonitor-trainer review) before the acceptance
// report (shadow_report.h). This file: the folder, its records and the small
// decisions, without GStreamer; the capture itself is shadow_capture.h.
//
//   DIR/alarms.jsonl        one JSON object per alarm (ShadowAlarm), appended
//   DIR/levels.jsonl        each alarm's held level once it clears (HeldLevels)
//   DIR/crops/WELL_*.png    the well's box as the monitor cut it from the frame
//   DIR/crops/scores.csv    file,well,score: the review page sorts by it
//   DIR/snapshots/ID.jpg    the whole frame, the well marked
//   DIR/clips/ID.ts         the recording's segments around the alarm's start
//   DIR/recording/          those segments (unless --record DIR says elsewhere)
//   DIR/runs/*.json         one record per run: time watched, model, rule in force
//   DIR/labels.txt          (a person's) review's export: '<crop file> <0|1>'
//   DIR/missed.txt          (a person's) spills the monitor missed: 'WELL TIME [note]'
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace wellmonitor::run {

// The seconds of a clip before and after the alarm's frame.
inline constexpr double kClipBeforeS = 2;
inline constexpr double kClipAfterS = 4;
// Seconds per recording segment in shadow mode when --record-segment is not
// given: a clip is the few segments around the alarm, so they are short.
inline constexpr double kShadowSegmentS = 3;

struct ShadowPaths {
  explicit ShadowPaths(std::string dir);
  std::string dir, alarms, levels, crops, scores, snapshots, clips, recording, runs, labels, missed;
};

// "" when DIR can take the shadow run's files; else one line saying why
// (missing, not a folder, not writable). Makes DIR's subfolders.
std::string prepare_shadow_dir(const std::string& dir);

// One alarm the monitor would have raised.
struct ShadowAlarm {
  std::string id;              // WELL_YYYYmmdd-HHMMSS-mmm (local time): names its files
  std::string camera, well;
  int64_t wall_ms = 0;         // when it was raised, ms since 1970
  double stream_time_s = -1;   // the frame's stream time (position in a file); < 0: unknown
  uint64_t frame = 0;          // the frame's index through the monitor
  double score = 0, threshold = 0;
  int x = 0, y = 0, width = 0, height = 0;  // the well's box, stream pixels
  std::string crop, snapshot, clip;          // relative to DIR; "" when not (yet) written
};

std::string shadow_alarm_id(const std::string& well, int64_t wall_ms);
std::string to_json_line(const ShadowAlarm& a);
// nullopt for a line that is no alarm (a torn last line after a crash).
std::optional<ShadowAlarm> shadow_alarm_from_json(const std::string& line);
// The crop's line in crops/scores.csv (header: file,well,score).
std::string scores_csv_line(const ShadowAlarm& a);

// One run of the monitor in shadow mode, rewritten while it runs so that a kill
// loses at most the last minute of time watched.
struct ShadowRun {
  std::string id;                 // YYYYmmdd-HHMMSS-PID (the file's name)
  std::string camera, source, mode;
  std::string started, updated;   // ISO 8601, local time with its offset
  bool finished = false;
  double watched_s = 0;           // video time analysed (WatchClock)
  uint64_t frames = 0;
  uint64_t alarms = 0;
  std::string model;              // the model file in force
  double threshold = -1;          // the threshold in force (< 0: not seen yet)
  std::map<std::string, std::string> monitor;  // wellmonitor's settings, as strings
  std::string colour_matrix;                   // how the stream's colour matrix was read (colour_matrix.h)
  std::vector<std::string> wells;              // the layout's wells
};

std::string to_json(const ShadowRun& r);
// Throws std::runtime_error naming `source` for a record that cannot be read.
ShadowRun shadow_run_from_json(const std::string& text, const std::string& source);

// The part of wellmonitor's settings that makes the decision over time: which
// frames are analysed and when an alarm is raised and cleared.
bool is_decision_setting(const std::string& property);

// Video time watched, from the frames' timestamps: the gap to the previous
// frame counts when it is under `max_gap_s` (a camera lost, a stream restarted
// or a seek counts nothing).
class WatchClock {
 public:
  explicit WatchClock(double max_gap_s = 2.0) : max_gap_ns_(static_cast<int64_t>(max_gap_s * 1e9)) {}
  void frame(int64_t time_ns);
  // A gap that is none of the video's (a new source).
  void restart() { last_ns_.reset(); }
  double watched_s() const { return static_cast<double>(watched_ns_) / 1e9; }

 private:
  int64_t max_gap_ns_;
  std::optional<int64_t> last_ns_;
  int64_t watched_ns_ = 0;
};

// Which recording segments make each alarm's clip. Segments are known by their
// start (running time, from splitmuxsink's fragment-opened); an alarm at running
// time T wants [T - before, T + after]. A clip is ready once a segment opens after
// T + after (every segment it needs is then closed), or at the end of the run.
class ClipPlanner {
 public:
  struct Clip {
    std::string alarm_id;
    std::vector<std::string> segments;  // in order; empty when the recording has none
  };
  ClipPlanner(double before_s = kClipBeforeS, double after_s = kClipAfterS)
      : before_ns_(static_cast<int64_t>(before_s * 1e9)), after_ns_(static_cast<int64_t>(after_s * 1e9)) {}

  void alarm(const std::string& id, int64_t running_ns);
  // A segment opened: the clips now complete.
  std::vector<Clip> segment_opened(const std::string& path, int64_t running_ns);
  // The run ended (every segment closed): the clips still waiting.
  std::vector<Clip> finish();

 private:
  std::vector<std::string> segments_for(int64_t t) const;
  int64_t before_ns_, after_ns_;
  std::vector<std::pair<int64_t, std::string>> segments_;  // by start
  std::vector<std::pair<std::string, int64_t>> waiting_;
};

// What a higher threshold would have kept (the acceptance report): each alarm's
// held level, the highest score its well stayed at or over for the rule's alarm
// time, counted as the element counts it (a run of analysed frames, each standing
// for its period, with a quarter-period slack), over the frames from that time
// before the alarm was raised until it cleared. A threshold under the level would
// still have raised the alarm (perhaps later); one at or over it, not.
// `frames`: (time in s, score), in order; `alarm_frames` > 0: runs of that many
// frames instead (the element's deprecated alarm-frames). With fewer frames than
// the alarm time needs, the lowest score.
double held_level(const std::vector<std::pair<double, double>>& frames, double alarm_seconds, int alarm_frames = 0);

// Follows each well's scores through a shadow run (the streaming thread) and
// gives each alarm's held level when it clears or the run ends.
class HeldLevels {
 public:
  struct Level {
    std::string alarm_id;
    double held = 0, peak = 0;
  };
  HeldLevels(double alarm_seconds, int alarm_frames) : alarm_s_(alarm_seconds), alarm_frames_(alarm_frames) {}
  // One analysed frame of well `index` at `t` s: its score, and whether it is
  // in alarm (`alarm_id` names the alarm raised on this frame, else ""). The
  // level of an alarm that ends here is returned.
  std::optional<Level> frame(int index, double t, double score, bool alarm, const std::string& alarm_id);
  // The run ends: the levels of the alarms still open.
  std::vector<Level> finish();

 private:
  struct Well {
    std::vector<std::pair<double, double>> frames;  // the last alarm time's, or the alarm's so far
    std::string alarm_id;                           // "" when not in alarm
  };
  Level level_of(const Well& w) const;
  double alarm_s_;
  int alarm_frames_;
  std::map<int, Well> wells_;
};
std::string to_json_line(const HeldLevels::Level& l);
// nullopt for a line that is no level (a torn last line).
std::optional<HeldLevels::Level> held_level_from_json(const std::string& line);

// ISO 8601 local time with its offset, "2026-12-07T01:23:45+01:00".
std::string iso_local(int64_t wall_ms);

}  // namespace wellmonitor::run
