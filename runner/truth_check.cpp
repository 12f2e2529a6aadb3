#include "truth_check.h"

#include "replay_truth.h"

#include <cstdio>

namespace wellmonitor::run {

int TruthReport::detected() const {
  int n = 0;
  for (const auto& s : spills) n += s.alarm_frame >= 0;
  return n;
}

std::string TruthReport::text() const {
  std::string out;
  char buf[256];
  for (const auto& s : spills) {
    if (s.alarm_frame >= 0)
      std::snprintf(buf, sizeof buf, "  spill at %-6s frames %lld-%lld: alarm at frame %lld (%lld frames in)\n",
                    s.well.c_str(), static_cast<long long>(s.first_frame), static_cast<long long>(s.last_frame),
                    static_cast<long long>(s.alarm_frame), static_cast<long long>(s.alarm_frame - s.first_frame));
    else
      std::snprintf(buf, sizeof buf, "  spill at %-6s frames %lld-%lld: MISSED\n", s.well.c_str(),
                    static_cast<long long>(s.first_frame), static_cast<long long>(s.last_frame));
    out += buf;
  }
  std::string falses;
  for (const auto& a : false_alarms) falses += " " + a.well + "@" + a.time;
  std::snprintf(buf, sizeof buf, "detected %d of %zu spills; %zu false alarm(s)", detected(), spills.size(),
                false_alarms.size());
  out += buf;
  if (!false_alarms.empty()) out += ":" + falses;
  return out + "\n";
}

TruthReport check_against_truth(const std::string& truth_path, const std::vector<AlarmSeen>& alarms, int64_t slack) {
  TruthReport r;
  for (const auto& t : wellmonitor::replay::read_truth(truth_path))
    r.spills.push_back({t.well, t.first_frame, t.last_frame, -1});
  for (const auto& a : alarms) {
    bool matched = false;
    for (auto& s : r.spills)
      if (s.well == a.well && a.frame >= s.first_frame && a.frame <= s.last_frame + slack) {
        matched = true;
        if (s.alarm_frame < 0) s.alarm_frame = a.frame;
      }
    if (!matched) r.false_alarms.push_back(a);
  }
  return r;
}

}  // namespace wellmonitor::run
