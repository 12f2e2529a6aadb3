#include "wellmonitor/alarm_lifecycle.h"

#include <cmath>
#include <stdexcept>

namespace wellmonitor {

const char* alarm_end_name(AlarmEnd reason) {
  switch (reason) {
    case AlarmEnd::kNormal:
      return "normal";
    case AlarmEnd::kFlush:
      return "flush";
    case AlarmEnd::kGap:
      return "gap";
    case AlarmEnd::kStopped:
      return "stopped";
    case AlarmEnd::kLayoutChanged:
      return "reconfigured";
    case AlarmEnd::kCameraLost:
      return "camera-lost";
    case AlarmEnd::kCameraObscured:
      return "camera-obscured";
    case AlarmEnd::kShelved:
      return "shelved";
  }
  return "unknown";
}

void AlarmLifecycle::set_wells(const std::vector<std::string>& ids) {
  wells_.assign(ids.size(), WellAlarm());
  for (size_t i = 0; i < ids.size(); ++i) wells_[i].id = ids[i];
  rule_.resize(ids.size());
  changes_.clear();
  changes_.reserve(ids.size());
}

const std::vector<AlarmChange>& AlarmLifecycle::decide(const std::vector<double>& scores, double threshold,
                                                       const AlarmRule& rule, const AlarmTime& time) {
  if (scores.size() != wells_.size())
    throw std::invalid_argument(std::to_string(scores.size()) + " scores for " + std::to_string(wells_.size()) +
                                " wells");
  RuleTime when;
  when.time_ns = time.running_ns;
  when.period_ns = time.period_ns;
  rule_.update(scores, threshold, rule, when);
  changes_.clear();
  for (size_t i = 0; i < wells_.size(); ++i) {
    const WellState& s = rule_.well(i);
    track(i, s.score, s.anomaly, s.alarm, time);
  }
  return changes_;
}

const AlarmChange* AlarmLifecycle::follow(size_t index, const std::string& id, double score, bool anomaly, bool alarm,
                                          const AlarmTime& time, bool shelved) {
  if (index >= wells_.size()) wells_.resize(index + 1);
  WellAlarm& w = wells_[index];
  if (w.id != id) {  // another layout: start afresh
    w = WellAlarm();
    w.id = id;
  }
  changes_.clear();
  if (shelved != w.shelved) {
    w.shelved = shelved;
    if (shelved && w.alarm) {
      end(index, AlarmEnd::kShelved);
      return &changes_.back();
    }
  }
  track(index, score, anomaly, alarm, time);
  return changes_.empty() ? nullptr : &changes_.back();
}

const AlarmChange* AlarmLifecycle::shelve(size_t index, bool shelved) {
  changes_.clear();
  if (index >= wells_.size()) return nullptr;
  WellAlarm& w = wells_[index];
  w.shelved = shelved;
  if (shelved && w.alarm) end(index, AlarmEnd::kShelved);
  return changes_.empty() ? nullptr : &changes_.back();
}

const std::vector<AlarmChange>& AlarmLifecycle::end_all(AlarmEnd reason) {
  changes_.clear();
  for (size_t i = 0; i < wells_.size(); ++i) {
    if (wells_[i].alarm) end(i, reason);
    WellAlarm fresh;
    fresh.id = std::move(wells_[i].id);
    fresh.shelved = wells_[i].shelved;
    wells_[i] = std::move(fresh);
  }
  rule_.reset();
  return changes_;
}

void AlarmLifecycle::gap() {
  rule_.restart_runs();
  changes_.clear();
}

void AlarmLifecycle::track(size_t i, double score, bool anomaly, bool alarm, const AlarmTime& time) {
  WellAlarm& w = wells_[i];
  w.score = score;
  w.anomaly = anomaly;
  if (w.shelved) alarm = false;  // a shelved well raises no alarm
  // the highest score of the run over the threshold, and of the alarm
  if (anomaly || alarm || w.alarm) {
    if (std::isnan(score) || score > w.top_score) w.top_score = score;
  } else {
    w.top_score = -std::numeric_limits<double>::infinity();
  }
  if (alarm && !w.alarm) {
    w.alarm = true;
    if (!(w.top_score > -std::numeric_limits<double>::infinity())) w.top_score = score;
    w.event_id = scope_ + ":" + w.id + ":" + std::to_string(time.wall_us / 1000);
    w.since_wall_us = time.wall_us;
    w.since_running_ns = time.running_ns;
    changes_.push_back({i, true, AlarmEnd::kNormal, w.event_id, score, w.top_score});
  } else if (!alarm && w.alarm) {
    end(i, AlarmEnd::kNormal);
  }
}

void AlarmLifecycle::end(size_t i, AlarmEnd reason) {
  WellAlarm& w = wells_[i];
  changes_.push_back({i, false, reason, w.event_id, w.score, w.top_score});
  w.alarm = false;
  w.top_score = -std::numeric_limits<double>::infinity();
  w.event_id.clear();
  w.since_wall_us = 0;
  w.since_running_ns = AlarmTime::kNone;
}

}  // namespace wellmonitor
