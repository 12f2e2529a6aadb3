#include "wellmonitor/debouncer.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace wellmonitor {

void Debouncer::resize(size_t wells) {
  wells_.assign(wells, WellState());
  changes_.clear();
  changes_.reserve(wells);
}

void Debouncer::reset() {
  std::fill(wells_.begin(), wells_.end(), WellState());
  changes_.clear();
}

void Debouncer::restart_runs() {
  for (WellState& s : wells_) s.over_run = s.under_run = 0;
  changes_.clear();
}

const std::vector<WellChange>& Debouncer::update(const std::vector<double>& scores, double threshold,
                                                 unsigned alarm_frames, unsigned clear_frames) {
  if (scores.size() != wells_.size())
    throw std::invalid_argument(std::to_string(scores.size()) + " scores for " + std::to_string(wells_.size()) +
                                " wells");
  alarm_frames = std::max(alarm_frames, 1u);
  clear_frames = std::max(clear_frames, 1u);
  constexpr unsigned kMaxRun = std::numeric_limits<unsigned>::max();
  changes_.clear();
  for (size_t i = 0; i < scores.size(); ++i) {
    WellState& s = wells_[i];
    s.score = scores[i];
    // A score that is no number is an anomaly, never a silent normal.
    s.anomaly = !std::isfinite(scores[i]) || scores[i] > threshold;
    if (s.anomaly) {
      s.under_run = 0;
      if (s.over_run < kMaxRun) ++s.over_run;
      if (!s.alarm && s.over_run >= alarm_frames) {
        s.alarm = true;
        changes_.push_back({i, true});
      }
    } else {
      s.over_run = 0;
      if (s.under_run < kMaxRun) ++s.under_run;
      if (s.alarm && s.under_run >= clear_frames) {
        s.alarm = false;
        changes_.push_back({i, false});
      }
    }
  }
  return changes_;
}

}  // namespace wellmonitor
