#include "wellmonitor/debouncer.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace wellmonitor {

namespace {

constexpr uint64_t kNone = RuleTime::kNone;
constexpr unsigned kMaxRun = std::numeric_limits<unsigned>::max();
// The period assumed before two frames have been seen, when the caller says none (25 frames/s).
constexpr uint64_t kDefaultPeriodNs = 40000000;

uint64_t to_ns(double seconds) {
  if (!(seconds > 0.0)) return 0;  // negative and NaN count as 0
  constexpr double kMaxSeconds = 1e9;  // far beyond any rule, far below uint64's nanoseconds
  return static_cast<uint64_t>(std::min(seconds, kMaxSeconds) * 1e9 + 0.5);
}

// Whether a run that began at `since_ns` has lasted `need_ns` at `now_ns`: the
// run's frames each stand for one period, and a quarter of a period is slack.
bool lasted(uint64_t since_ns, uint64_t now_ns, uint64_t period_ns, uint64_t need_ns) {
  if (since_ns == kNone) return false;
  return (now_ns - since_ns) + period_ns + period_ns / 4 >= need_ns;
}

}  // namespace

void Debouncer::Window::push(const Sample& s) {
  if (count == ring.size()) {  // full: grow, keeping the order
    std::vector<Sample> bigger(std::max<size_t>(8, ring.size() * 2));
    for (size_t i = 0; i < count; ++i) bigger[i] = at(i);
    ring.swap(bigger);
    head = 0;
  }
  ring[(head + count) % ring.size()] = s;
  ++count;
}

void Debouncer::Window::drop_before(uint64_t time_ns) {
  while (count > 1 && at(0).time_ns < time_ns) {
    head = (head + 1) % ring.size();
    --count;
  }
}

void Debouncer::resize(size_t wells) {
  wells_.assign(wells, WellState());
  windows_.assign(wells, Window());
  changes_.clear();
  changes_.reserve(wells);
  last_ns_ = period_ns_ = kNone;
}

void Debouncer::reset() {
  std::fill(wells_.begin(), wells_.end(), WellState());
  for (Window& w : windows_) w.clear();
  changes_.clear();
  last_ns_ = kNone;
}

void Debouncer::restart_runs() {
  for (WellState& s : wells_) {
    s.over_run = s.under_run = 0;
    s.over_since_ns = s.under_since_ns = kNone;
  }
  for (Window& w : windows_) w.clear();
  changes_.clear();
  last_ns_ = kNone;  // the time between the last frame and the next is no period
}

// The mean of the well's scores whose frames lie in the last `seconds` (the
// newest included): a frame stands for one period, a quarter of one is slack.
double Debouncer::smooth(Window& w, uint64_t now_ns, uint64_t period_ns, double seconds, double score) {
  w.push({now_ns, score});
  const uint64_t span_ns = to_ns(seconds);
  const uint64_t reach_ns = span_ns + period_ns / 4;  // how far back, plus the slack ...
  const uint64_t back_ns = reach_ns > period_ns ? reach_ns - period_ns : 0;  // ... less the newest frame's period
  w.drop_before(now_ns > back_ns ? now_ns - back_ns : 0);
  if (span_ns == 0) return score;
  double sum = 0.0;
  for (size_t i = 0; i < w.count; ++i) sum += w.at(i).score;
  return sum / static_cast<double>(w.count);
}

const std::vector<WellChange>& Debouncer::update(const std::vector<double>& scores, double threshold,
                                                 const AlarmRule& rule, const RuleTime& time) {
  if (scores.size() != wells_.size())
    throw std::invalid_argument(std::to_string(scores.size()) + " scores for " + std::to_string(wells_.size()) +
                                " wells");
  // The frame's period: the caller's, else the last one measured, else 25 frames/s.
  uint64_t period_ns = time.period_ns != kNone && time.period_ns > 0 ? time.period_ns : period_ns_;
  // The frame's time: its timestamp, unless there is none or it does not move forward.
  uint64_t now_ns = time.time_ns;
  if (last_ns_ != kNone && (now_ns == kNone || now_ns <= last_ns_))
    now_ns = last_ns_ + (period_ns != kNone ? period_ns : kDefaultPeriodNs);
  else if (now_ns == kNone)
    now_ns = 0;
  if (last_ns_ != kNone) period_ns_ = now_ns - last_ns_;
  if (period_ns == kNone) period_ns = period_ns_ != kNone ? period_ns_ : kDefaultPeriodNs;
  last_ns_ = now_ns;

  const double clear_level = threshold * std::clamp(std::isnan(rule.clear_ratio) ? 1.0 : rule.clear_ratio, 0.0, 1.0);
  const uint64_t alarm_ns = to_ns(rule.alarm_seconds), clear_ns = to_ns(rule.clear_seconds);
  changes_.clear();
  for (size_t i = 0; i < scores.size(); ++i) {
    WellState& s = wells_[i];
    s.score = scores[i];
    // A score that is no number is an anomaly, never a silent normal.
    const bool finite = std::isfinite(scores[i]);
    s.anomaly = !finite || scores[i] > threshold;
    s.statistic = smooth(windows_[i], now_ns, period_ns, rule.smoothing_seconds,
                         finite ? scores[i] : std::numeric_limits<double>::infinity());
    const bool over = std::isnan(s.statistic) || s.statistic > threshold;
    const bool under = !over && s.statistic <= clear_level;
    if (over) {
      if (s.over_run < kMaxRun) ++s.over_run;
      if (s.over_since_ns == kNone) s.over_since_ns = now_ns;
    } else {
      s.over_run = 0;
      s.over_since_ns = kNone;
    }
    if (under) {
      if (s.under_run < kMaxRun) ++s.under_run;
      if (s.under_since_ns == kNone) s.under_since_ns = now_ns;
    } else {
      s.under_run = 0;
      s.under_since_ns = kNone;
    }
    const bool raise = rule.alarm_frames > 0 ? s.over_run >= rule.alarm_frames
                                             : lasted(s.over_since_ns, now_ns, period_ns, alarm_ns);
    const bool clear = rule.clear_frames > 0 ? s.under_run >= rule.clear_frames
                                             : lasted(s.under_since_ns, now_ns, period_ns, clear_ns);
    if (!s.alarm && raise) {
      s.alarm = true;
      changes_.push_back({i, true});
    } else if (s.alarm && clear) {
      s.alarm = false;
      changes_.push_back({i, false});
    }
  }
  return changes_;
}

const std::vector<WellChange>& Debouncer::update(const std::vector<double>& scores, double threshold,
                                                 unsigned alarm_frames, unsigned clear_frames) {
  AlarmRule rule;
  rule.alarm_frames = std::max(alarm_frames, 1u);
  rule.clear_frames = std::max(clear_frames, 1u);
  rule.smoothing_seconds = 0.0;
  rule.clear_ratio = 1.0;
  return update(scores, threshold, rule, RuleTime());
}

}  // namespace wellmonitor
