// The per-well alarm decision over time: a well goes into alarm once its
// statistic (its score, or the mean of its scores over the last
// `smoothing_seconds`) has stayed over the threshold for `alarm_seconds`, and
// clears once it has stayed at or under the clear level (`clear_ratio` x the
// threshold) for `clear_seconds`. Times come from the frames' timestamps, so
// the rule means the same at 6, 12 or 25 frames a second; `alarm_frames` /
// `clear_frames` (> 0) count analysed frames instead, the older rule.
//
// Each analysed frame stands for the time until the next one, its period: a
// run of frames from t_first to t_now lasts t_now - t_first + period, and a
// duration is reached within a quarter of a period (timestamps rounded to the
// nanosecond, or a camera's jitter, do not cost a frame). At 12 frames/s,
// alarm_seconds 0.5 is 6 frames; 0 is the first frame over the threshold.
//
// Pure state, no LibTorch and no GStreamer: the element feeds it one frame's
// scores at a time, with the frame's time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

namespace wellmonitor {

// How the decision is made (wellmonitor's properties of the same names). The
// defaults were chosen on the validation replays of the plant's other days
// (docs/validation.md): the longest alarm time that still alarms every spill
// event within 1 s with a third of a second to spare; smoothing of 0.5-2 s
// removed fewer false alarms than the same time spent in alarm_seconds; the
// clear time and level end fewer alarms that come back on the same look.
struct AlarmRule {
  double alarm_seconds = 0.75;     // the statistic over the threshold this long raises an alarm
  double clear_seconds = 2.0;      // at or under the clear level this long clears it
  double smoothing_seconds = 0.0;  // statistic: mean score of this many last seconds (0: the frame's own)
  double clear_ratio = 0.5;        // clear level = threshold x this (< 1: hysteresis)
  unsigned alarm_frames = 0;       // > 0: this many analysed frames over, instead of alarm_seconds
  unsigned clear_frames = 0;       // > 0: this many analysed frames at or under, instead of clear_seconds
};

// A frame's time for the rule.
struct RuleTime {
  static constexpr uint64_t kNone = std::numeric_limits<uint64_t>::max();
  uint64_t time_ns = kNone;    // the frame's timestamp (running time); kNone: one period after the last
  uint64_t period_ns = kNone;  // time between two analysed frames at the stream's rate; kNone: as measured
};

// What the decision knows of one well.
struct WellState {
  double score = 0.0;      // last analysed score
  double statistic = 0.0;  // what the rule compared: the score, or the smoothed score (+inf if not finite)
  bool anomaly = false;    // last analysed score > threshold, or not a finite number
  bool alarm = false;      // decided
  unsigned over_run = 0;   // consecutive analysed frames with the statistic over the threshold
  unsigned under_run = 0;  // consecutive analysed frames with it at or under the clear level
  uint64_t over_since_ns = RuleTime::kNone;   // first frame of the run over the threshold
  uint64_t under_since_ns = RuleTime::kNone;  // first frame of the run at or under the clear level
};

// A well whose decided state changed on a frame.
struct WellChange {
  size_t well = 0;     // index in layout order
  bool alarm = false;  // true: it went into alarm; false: it cleared
};

class Debouncer {
 public:
  explicit Debouncer(size_t wells = 0) { resize(wells); }

  // `wells` wells, none in alarm.
  void resize(size_t wells);
  // Forgets every well's runs, scores and alarm (a flush, an end of every
  // alarm): no change is reported for a well that was in alarm.
  void reset();
  // Frames were lost (a gap): every well's runs and smoothing window start
  // again, but a well in alarm stays in alarm (it clears after the clear time
  // seen at or under the clear level) and a well that was not stays out of it.
  void restart_runs();

  // One analysed frame: a score per well, in layout order, at `time`. Returns
  // the wells whose decided state changed, in layout order (valid until the
  // next call). Negative times count as 0, ratios are clamped to [0, 1].
  // Throws std::invalid_argument when the number of scores is not the number
  // of wells.
  const std::vector<WellChange>& update(const std::vector<double>& scores, double threshold, const AlarmRule& rule,
                                        const RuleTime& time);
  // The older rule alone: alarm after `alarm_frames` consecutive frames over
  // the threshold, clear after `clear_frames` at or under it (below 1 counts
  // as 1), no smoothing, no hysteresis.
  const std::vector<WellChange>& update(const std::vector<double>& scores, double threshold, unsigned alarm_frames,
                                        unsigned clear_frames);

  size_t size() const { return wells_.size(); }
  const WellState& well(size_t i) const { return wells_.at(i); }
  const std::vector<WellState>& wells() const { return wells_; }

 private:
  struct Sample {
    uint64_t time_ns;
    double score;  // +inf for a score that is no number
  };
  // One well's scores of the last smoothing_seconds: a ring that grows to the
  // longest window asked for, then allocates no more.
  struct Window {
    std::vector<Sample> ring;
    size_t head = 0, count = 0;
    void clear() { head = count = 0; }
    void push(const Sample& s);
    void drop_before(uint64_t time_ns);
    const Sample& at(size_t i) const { return ring[(head + i) % ring.size()]; }
  };
  double smooth(Window& w, uint64_t now_ns, uint64_t period_ns, double seconds, double score);

  std::vector<WellState> wells_;
  std::vector<Window> windows_;
  std::vector<WellChange> changes_;
  uint64_t last_ns_ = RuleTime::kNone;    // the last analysed frame's time
  uint64_t period_ns_ = RuleTime::kNone;  // the last measured time between two analysed frames
};

}  // namespace wellmonitor
