// The demo's check of its alarms against the replay's ground truth: a spill is
// detected when its well raises an alarm between the spill's first frame and its
// last frame + slack; any other alarm is a false one. The ground truth is read
// with pipelines/replay/replay_truth.h, the one reader of that format.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace wellmonitor::run {

struct AlarmSeen {
  std::string well;
  int64_t frame = 0;
  std::string time;  // as printed in the line ("12.417")
};

struct SpillResult {
  std::string well;
  int64_t first_frame = 0, last_frame = 0;
  int64_t alarm_frame = -1;  // -1: missed
};

struct TruthReport {
  std::vector<SpillResult> spills;
  std::vector<AlarmSeen> false_alarms;
  int detected() const;
  // The summary as the demo prints it, one line per spill then the totals.
  std::string text() const;
};

// Reads the ground truth at `truth_path` (throws std::runtime_error naming the
// file and line) and scores `alarms` against it.
TruthReport check_against_truth(const std::string& truth_path, const std::vector<AlarmSeen>& alarms, int64_t slack);

}  // namespace wellmonitor::run
