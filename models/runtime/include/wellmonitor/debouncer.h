// Per-well debounce of a monitor's verdicts: a well goes into alarm after
// `alarm_frames` consecutive analysed frames over the threshold, and clears
// after `clear_frames` consecutive analysed frames at or under it. Pure state,
// no LibTorch and no GStreamer: the element feeds it one frame's scores at a time.
#pragma once

#include <cstddef>
#include <vector>

namespace wellmonitor {

// What the debounce knows of one well.
struct WellState {
  double score = 0.0;      // last analysed score
  bool anomaly = false;    // last analysed score > threshold, or not a finite number
  bool alarm = false;      // debounced
  unsigned over_run = 0;   // consecutive analysed frames over the threshold
  unsigned under_run = 0;  // consecutive analysed frames at or under it
};

// A well whose debounced state changed on a frame.
struct WellChange {
  size_t well = 0;     // index in layout order
  bool alarm = false;  // true: it went into alarm; false: it cleared
};

class Debouncer {
 public:
  explicit Debouncer(size_t wells = 0) : wells_(wells) { changes_.reserve(wells); }

  // `wells` wells, none in alarm.
  void resize(size_t wells);
  // Forgets every well's runs and alarm (a flush, an end of every alarm): no
  // change is reported for a well that was in alarm.
  void reset();
  // Frames were lost (a gap): every well's runs start again, but a well in
  // alarm stays in alarm (it clears after `clear_frames` frames seen at or
  // under the threshold) and a well that was not stays out of it.
  void restart_runs();

  // One analysed frame: a score per well, in layout order. Returns the wells
  // whose debounced state changed, in layout order (valid until the next call).
  // alarm_frames and clear_frames below 1 count as 1. Throws
  // std::invalid_argument when the number of scores is not the number of wells.
  const std::vector<WellChange>& update(const std::vector<double>& scores, double threshold, unsigned alarm_frames,
                                        unsigned clear_frames);

  size_t size() const { return wells_.size(); }
  const WellState& well(size_t i) const { return wells_.at(i); }
  const std::vector<WellState>& wells() const { return wells_; }

 private:
  std::vector<WellState> wells_;
  std::vector<WellChange> changes_;
};

}  // namespace wellmonitor
