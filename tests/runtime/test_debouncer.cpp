// The per-well debounce on its own: alarm after N frames over the threshold,
// clear after M at or under it, each well apart, resets, threshold changes.
#include "wellmonitor/debouncer.h"

#include <gtest/gtest.h>

#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

namespace wm = wellmonitor;

namespace {

constexpr double kThreshold = 0.5;
constexpr double kOver = 0.9;
constexpr double kUnder = 0.1;

// Feeds one well a script ('S' over the threshold, 'N' under it) and returns
// the debounced state after each frame ('1' alarm) and the changes ("+f" alarm
// at frame f, "-f" clear).
struct Script {
  std::string alarm;
  std::vector<std::string> changes;
};
Script run(wm::Debouncer& d, const std::string& script, unsigned alarm_frames, unsigned clear_frames) {
  Script r;
  for (size_t f = 0; f < script.size(); ++f) {
    const auto& ch = d.update({script[f] == 'S' ? kOver : kUnder}, kThreshold, alarm_frames, clear_frames);
    for (const auto& c : ch) r.changes.push_back((c.alarm ? "+" : "-") + std::to_string(f));
    r.alarm += d.well(0).alarm ? '1' : '0';
  }
  return r;
}

}  // namespace

TEST(Debouncer, AlarmsAfterNConsecutiveFramesOverTheThreshold) {
  wm::Debouncer d(1);
  const Script r = run(d, "SSNSSSSS", 3, 2);
  EXPECT_EQ(r.alarm, "00000111");
  EXPECT_EQ(r.changes, std::vector<std::string>({"+5"})) << "once per spill, not once per frame";
}

TEST(Debouncer, ClearsAfterMConsecutiveFramesAtOrUnderTheThreshold) {
  wm::Debouncer d(1);
  const Script r = run(d, "SSNNSNNNN", 2, 3);
  EXPECT_EQ(r.alarm, "011111100");
  EXPECT_EQ(r.changes, std::vector<std::string>({"+1", "-7"})) << "a spill frame restarts the count to clear";
}

TEST(Debouncer, AScoreEqualToTheThresholdIsNotAnAnomaly) {
  wm::Debouncer d(1);
  d.update({kThreshold}, kThreshold, 1, 1);
  EXPECT_FALSE(d.well(0).anomaly);
  EXPECT_FALSE(d.well(0).alarm);
  d.update({kThreshold + 1e-9}, kThreshold, 1, 1);
  EXPECT_TRUE(d.well(0).anomaly);
  EXPECT_TRUE(d.well(0).alarm);
}

TEST(Debouncer, AScoreThatIsNoNumberIsAnAnomalyNeverASilentNormal) {
  wm::Debouncer d(2);
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  for (int f = 0; f < 2; ++f) d.update({nan, -inf}, kThreshold, 2, 1);
  EXPECT_TRUE(d.well(0).anomaly);
  EXPECT_TRUE(d.well(0).alarm) << "NaN twice raises the alarm like two spill frames";
  EXPECT_TRUE(d.well(1).alarm) << "-inf is no number a model can mean either";
}

TEST(Debouncer, EachWellIsDebouncedOnItsOwnAndChangesComeInLayoutOrder) {
  wm::Debouncer d(3);
  d.update({kOver, kUnder, kOver}, kThreshold, 2, 1);
  const auto changes = d.update({kOver, kOver, kOver}, kThreshold, 2, 1);
  ASSERT_EQ(changes.size(), 2u) << "wells 0 and 2 together, well 1 one frame short";
  EXPECT_EQ(changes[0].well, 0u);
  EXPECT_EQ(changes[1].well, 2u);
  EXPECT_TRUE(changes[0].alarm && changes[1].alarm);
  EXPECT_FALSE(d.well(1).alarm);
  EXPECT_EQ(d.well(1).over_run, 1u);
  EXPECT_DOUBLE_EQ(d.well(2).score, kOver);
}

TEST(Debouncer, ResetForgetsRunsAndAlarmsWithoutAClear) {
  wm::Debouncer d(2);
  d.update({kOver, kOver}, kThreshold, 2, 1);
  d.update({kOver, kUnder}, kThreshold, 2, 1);
  ASSERT_TRUE(d.well(0).alarm);
  d.reset();
  EXPECT_FALSE(d.well(0).alarm);
  EXPECT_EQ(d.well(0).over_run, 0u);
  EXPECT_EQ(d.well(1).under_run, 0u);
  EXPECT_TRUE(d.update({kUnder, kUnder}, kThreshold, 2, 1).empty()) << "no clear for an alarm forgotten";
  // the spill is counted from scratch and reported again
  EXPECT_TRUE(d.update({kOver, kUnder}, kThreshold, 2, 1).empty());
  EXPECT_EQ(d.update({kOver, kUnder}, kThreshold, 2, 1).size(), 1u);
}

TEST(Debouncer, RestartRunsKeepsEveryAlarmAndCountsTheFramesAgain) {
  wm::Debouncer d(2);
  d.update({kOver, kOver}, kThreshold, 2, 2);
  d.update({kOver, kUnder}, kThreshold, 2, 2);  // well 0 alarms; well 1 one frame under
  d.update({kUnder, kOver}, kThreshold, 2, 2);  // well 0 one frame under; well 1 one frame over
  ASSERT_TRUE(d.well(0).alarm);
  d.restart_runs();
  EXPECT_TRUE(d.well(0).alarm) << "a gap ends no alarm";
  EXPECT_FALSE(d.well(1).alarm);
  EXPECT_EQ(d.well(0).under_run, 0u);
  EXPECT_EQ(d.well(1).over_run, 0u);
  // both counts start again: one frame is not two
  EXPECT_TRUE(d.update({kUnder, kOver}, kThreshold, 2, 2).empty());
  const auto& changes = d.update({kUnder, kOver}, kThreshold, 2, 2);
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_FALSE(changes[0].alarm) << "well 0 clears, once";
  EXPECT_TRUE(changes[1].alarm);
}

TEST(Debouncer, ThresholdAndFrameCountsMayChangeFromFrameToFrame) {
  wm::Debouncer d(1);
  EXPECT_TRUE(d.update({0.6}, 0.7, 2, 1).empty());
  EXPECT_FALSE(d.well(0).anomaly);
  EXPECT_TRUE(d.update({0.6}, 0.5, 2, 1).empty()) << "first frame over the lowered threshold";
  EXPECT_EQ(d.update({0.6}, 0.5, 2, 1).size(), 1u);
  // raising the threshold over the score counts towards the clear
  EXPECT_TRUE(d.update({0.6}, 0.7, 2, 2).empty());
  const auto c = d.update({0.6}, 0.7, 2, 2);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_FALSE(c[0].alarm);
  // a run already long enough alarms as soon as alarm-frames is lowered to it
  d.update({0.9}, 0.7, 5, 1);
  d.update({0.9}, 0.7, 5, 1);
  EXPECT_EQ(d.update({0.9}, 0.7, 3, 1).size(), 1u);
}

TEST(Debouncer, ZeroFrameCountsCountAsOne) {
  wm::Debouncer d(1);
  EXPECT_EQ(d.update({kOver}, kThreshold, 0, 0).size(), 1u);
  EXPECT_EQ(d.update({kUnder}, kThreshold, 0, 0).size(), 1u);
}

TEST(Debouncer, RefusesAScoreCountThatIsNotTheWellCount) {
  wm::Debouncer d(3);
  EXPECT_THROW(d.update({kOver, kOver}, kThreshold, 1, 1), std::invalid_argument);
  d.resize(2);
  EXPECT_NO_THROW(d.update({kOver, kOver}, kThreshold, 1, 1));
  EXPECT_EQ(d.size(), 2u);
}
