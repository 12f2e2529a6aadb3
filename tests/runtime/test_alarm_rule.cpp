// The alarm decision in seconds (AlarmRule): alarm and clear after a time of
// the frames' timestamps, the same at 6, 12 and 25 frames/s; a score smoothed
// over a window of seconds; a lower clear level (hysteresis); a flush forgets
// it all and a gap starts the runs and the window again.
#include "wellmonitor/alarm_lifecycle.h"
#include "wellmonitor/debouncer.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace wm = wellmonitor;

namespace {

constexpr double kThreshold = 0.5;
constexpr double kOver = 0.9;
constexpr double kUnder = 0.1;

wm::AlarmRule seconds(double alarm, double clear, double smoothing = 0.0, double ratio = 1.0) {
  wm::AlarmRule r;
  r.alarm_seconds = alarm;
  r.clear_seconds = clear;
  r.smoothing_seconds = smoothing;
  r.clear_ratio = ratio;
  return r;
}

// One well's stream at `fps`, stamped as GStreamer stamps it (frame i at
// floor(i x 1 s / fps)): feeds scores frame by frame and records the frames on
// which the well went into alarm ("+f") or cleared ("-f").
struct Stream {
  explicit Stream(int fps) : fps(fps), d(1) {}
  uint64_t time_of(int64_t frame) const { return static_cast<uint64_t>(frame) * 1000000000ull / fps; }
  // `n` frames of `score` from frame `from` on, every `step`th frame analysed.
  int64_t feed(int64_t from, int n, double score, const wm::AlarmRule& rule, int step = 1) {
    for (int64_t f = from; f < from + n; f += step) {
      wm::RuleTime t;
      t.time_ns = time_of(f);
      t.period_ns = time_of(step);
      for (const auto& c : d.update({score}, kThreshold, rule, t)) changes.push_back((c.alarm ? "+" : "-") + std::to_string(f));
    }
    return from + n;
  }
  int fps;
  wm::Debouncer d;
  std::vector<std::string> changes;
};

}  // namespace

TEST(AlarmRule, AlarmsAndClearsAfterTheSameSecondsAt6_12And25FramesPerSecond) {
  // a spill from 1 s to 4 s; alarm after 0.5 s over, clear after 1 s under
  for (const int fps : {6, 12, 25}) {
    Stream s(fps);
    int64_t f = s.feed(0, fps, kUnder, seconds(0.5, 1.0));
    f = s.feed(f, 3 * fps, kOver, seconds(0.5, 1.0));
    s.feed(f, 2 * fps, kUnder, seconds(0.5, 1.0));
    ASSERT_EQ(s.changes.size(), 2u) << fps << " frames/s";
    // the first frame whose run of frames spans 0.5 s: 3, 6 and 13 frames (0.52 s at 25)
    const int64_t alarm_frames = fps == 6 ? 3 : fps == 12 ? 6 : 13;
    EXPECT_EQ(s.changes[0], "+" + std::to_string(fps + alarm_frames - 1)) << fps << " frames/s";
    EXPECT_EQ(s.changes[1], "-" + std::to_string(4 * fps + fps - 1)) << fps << " frames/s: 1 s of frames under";
  }
}

TEST(AlarmRule, CountsTheTimeOfTheTimestampsNotTheFrames) {
  const wm::AlarmRule rule = seconds(0.5, 1.0);
  // every 3rd frame analysed at 12 frames/s: 2 analysed frames span 0.5 s
  Stream every3(12);
  every3.feed(0, 12, kUnder, rule, 3);
  every3.feed(12, 24, kOver, rule, 3);
  ASSERT_FALSE(every3.changes.empty());
  EXPECT_EQ(every3.changes[0], "+15");
  // frames lost on the way (no discontinuity said): the time passed still counts
  Stream lossy(12);
  lossy.feed(0, 12, kUnder, rule);
  lossy.feed(12, 2, kOver, rule);  // frames 12, 13
  lossy.feed(16, 10, kOver, rule);  // 14 and 15 never came; frame 17 ends 0.5 s after 12
  ASSERT_FALSE(lossy.changes.empty());
  EXPECT_EQ(lossy.changes[0], "+17") << "4 frames seen, 0.5 s passed";
  // the older rule counts frames: 6 frames over, whatever their time
  Stream frames(12);
  wm::AlarmRule six = rule;
  six.alarm_frames = 6;
  frames.feed(0, 12, kUnder, six);
  frames.feed(12, 24, kOver, six, 3);
  ASSERT_FALSE(frames.changes.empty());
  EXPECT_EQ(frames.changes[0], "+27") << "6 analysed frames, 1.25 s";
}

TEST(AlarmRule, ZeroSecondsAlarmsOnTheFirstFrameOverAndTheTimeIsMetWithinAQuarterFrame) {
  Stream s(12);
  s.feed(0, 1, kOver, seconds(0.0, 0.0));
  s.feed(1, 1, kUnder, seconds(0.0, 0.0));
  EXPECT_EQ(s.changes, std::vector<std::string>({"+0", "-1"}));
  // 5/12 s at 12 frames/s is 5 frames (0.41667 s rounded down to the ns is still 5), not 6
  Stream r(12);
  r.feed(0, 12, kOver, seconds(5.0 / 12.0, 1.0));
  ASSERT_FALSE(r.changes.empty());
  EXPECT_EQ(r.changes[0], "+4");
}

TEST(AlarmRule, SmoothingIgnoresOneHighFrameAndAlarmsOnAHighMeanOverItsSeconds) {
  // one frame at 0.9 in a second of 0.1: over the threshold alone, not on average
  Stream single(12), smoothed(12);
  single.feed(0, 12, kUnder, seconds(0.0, 1.0));
  single.feed(12, 1, kOver, seconds(0.0, 1.0));
  EXPECT_EQ(single.changes, std::vector<std::string>({"+12"}));
  smoothed.feed(0, 12, kUnder, seconds(0.0, 1.0, 1.0));
  smoothed.feed(12, 1, kOver, seconds(0.0, 1.0, 1.0));
  smoothed.feed(13, 12, kUnder, seconds(0.0, 1.0, 1.0));
  EXPECT_TRUE(smoothed.changes.empty());
  EXPECT_NEAR(smoothed.d.well(0).statistic, kUnder, 1e-12) << "the high frame has left the 1-s window";
  // a spill after a second at 0: the mean of the last second (12 frames at 12/s, 25 at 25/s)
  // passes 0.5 on the 7th frame at 0.9 at 12/s (7 x 0.9 / 12 = 0.525), on the 14th at 25/s (0.504)
  for (const int fps : {12, 25}) {
    Stream s(fps);
    int64_t f = s.feed(0, fps, 0.0, seconds(0.0, 1.0, 1.0));
    s.feed(f, fps, kOver, seconds(0.0, 1.0, 1.0));
    ASSERT_FALSE(s.changes.empty()) << fps;
    EXPECT_EQ(s.changes[0], "+" + std::to_string(fps + (fps == 12 ? 6 : 13))) << fps << " frames/s";
  }
}

TEST(AlarmRule, AScoreThatIsNoNumberInTheWindowMakesTheMeanAnAnomaly) {
  Stream s(12);
  s.feed(0, 12, kUnder, seconds(0.0, 1.0, 1.0));
  s.feed(12, 1, std::numeric_limits<double>::quiet_NaN(), seconds(0.0, 1.0, 1.0));
  EXPECT_EQ(s.changes, std::vector<std::string>({"+12"})) << "never a silent normal";
  EXPECT_TRUE(s.d.well(0).anomaly);
}

TEST(AlarmRule, AClearRatioHoldsTheAlarmUntilTheScoreFallsUnderItsLevel) {
  // alarm at 0.9; then 0.4 (under the threshold 0.5, over the clear level 0.25) for 3 s; then 0.2
  for (const double ratio : {1.0, 0.5}) {
    Stream s(12);
    const wm::AlarmRule rule = seconds(0.0, 1.0, 0.0, ratio);
    int64_t f = s.feed(0, 6, kOver, rule);
    f = s.feed(f, 36, 0.4, rule);
    s.feed(f, 24, 0.2, rule);
    if (ratio == 1.0)
      EXPECT_EQ(s.changes, std::vector<std::string>({"+0", "-17"})) << "0.4 is normal: cleared after 1 s of it";
    else
      EXPECT_EQ(s.changes, std::vector<std::string>({"+0", "-53"})) << "only 1 s at 0.2 clears it";
  }
  // between the levels nothing is raised either
  Stream between(12);
  between.feed(0, 36, 0.4, seconds(0.0, 1.0, 0.0, 0.5));
  EXPECT_TRUE(between.changes.empty());
}

TEST(AlarmRule, ScoresSwingingAcrossTheThresholdAlarmOnceWithHysteresis) {
  // 0.3 s over, 0.3 s at 0.4, again and again: without hysteresis each swing
  // under the threshold for 0.25 s clears; with a clear level of 0.25 none does
  auto swing = [](double ratio) {
    Stream s(12);
    const wm::AlarmRule rule = seconds(0.25, 0.25, 0.0, ratio);
    int64_t f = 0;
    for (int i = 0; i < 5; ++i) {
      f = s.feed(f, 4, kOver, rule);
      f = s.feed(f, 4, 0.4, rule);
    }
    return s.changes;
  };
  EXPECT_EQ(swing(1.0).size(), 10u);
  EXPECT_EQ(swing(0.5), std::vector<std::string>({"+2"}));
}

TEST(AlarmRule, AFlushForgetsTheRunsTheWindowAndTheAlarm) {
  Stream s(12);
  const wm::AlarmRule rule = seconds(0.5, 1.0, 1.0);
  s.feed(0, 24, kOver, rule);
  ASSERT_TRUE(s.d.well(0).alarm);
  s.d.reset();
  EXPECT_FALSE(s.d.well(0).alarm);
  // after the flush the stream starts again at 0 s; the high scores before are forgotten
  s.changes.clear();
  s.feed(0, 12, kUnder, rule);
  EXPECT_TRUE(s.changes.empty()) << "no clear for an alarm forgotten";
  EXPECT_NEAR(s.d.well(0).statistic, kUnder, 1e-12) << "the window holds only the frames after the flush";
}

TEST(AlarmRule, AGapStartsTheRunsAndTheWindowAgainAndKeepsTheAlarm) {
  const wm::AlarmRule rule = seconds(0.5, 1.0);
  Stream s(12);
  s.feed(0, 4, kOver, rule);  // 0.33 s over
  s.d.restart_runs();         // frames lost: 10 s later
  s.feed(120, 3, kOver, rule);  // 0.25 s over after the gap: not 0.58 s
  EXPECT_TRUE(s.changes.empty()) << "the run before the gap does not count, nor the gap's time";
  s.feed(123, 3, kOver, rule);
  EXPECT_EQ(s.changes, std::vector<std::string>({"+125"}));
  // in alarm across a gap: it stays, and clears after the clear time seen after it
  s.feed(126, 6, kUnder, rule);
  s.d.restart_runs();
  EXPECT_TRUE(s.d.well(0).alarm);
  s.feed(200, 12, kUnder, rule);
  EXPECT_EQ(s.changes, std::vector<std::string>({"+125", "-211"}));
  // the smoothing window starts again too: the scores before the gap are not averaged in
  Stream smoothed(12);
  smoothed.feed(0, 12, kOver, seconds(0.5, 1.0, 1.0));
  smoothed.d.restart_runs();
  smoothed.feed(14, 1, kUnder, seconds(0.5, 1.0, 1.0));
  EXPECT_DOUBLE_EQ(smoothed.d.well(0).statistic, kUnder);
}

TEST(AlarmRule, WithoutTimestampsEachFrameCountsOnePeriod) {
  wm::Debouncer d(1);
  wm::RuleTime t;  // no time
  t.period_ns = 100000000;  // 10 frames/s
  std::vector<int> alarms;
  for (int f = 0; f < 10; ++f)
    if (!d.update({kOver}, kThreshold, seconds(0.5, 1.0), t).empty()) alarms.push_back(f);
  EXPECT_EQ(alarms, std::vector<int>({4})) << "5 frames of 0.1 s";
}

TEST(AlarmLifecycle, DecidesInSecondsFromTheBuffersRunningTime) {
  // the lifecycle hands the frames' running time and period to the rule
  for (const int fps : {6, 25}) {
    wm::AlarmLifecycle a;
    a.set_wells({"w"});
    const uint64_t period = 1000000000ull / fps;
    int64_t alarm_at = -1;
    for (int f = 0; f < 2 * fps; ++f) {
      wm::AlarmTime t;
      t.wall_us = f;
      t.running_ns = static_cast<uint64_t>(f) * 1000000000ull / fps;
      t.period_ns = period;
      if (!a.decide({kOver}, kThreshold, seconds(1.0, 1.0), t).empty() && alarm_at < 0) alarm_at = f;
    }
    EXPECT_EQ(alarm_at, fps - 1) << fps << " frames/s: the frame that completes 1 s";
  }
}

TEST(AlarmLifecycle, AFlushEndsTheAlarmAndForgetsTheSmoothedScores) {
  wm::AlarmLifecycle a;
  a.set_wells({"w"});
  const wm::AlarmRule rule = seconds(0.0, 1.0, 1.0);
  wm::AlarmTime t;
  t.period_ns = 100000000;
  for (int f = 0; f < 10; ++f) {
    t.running_ns = f * t.period_ns;
    a.decide({kOver}, kThreshold, rule, t);
  }
  ASSERT_TRUE(a.well(0).alarm);
  ASSERT_EQ(a.end_all(wm::AlarmEnd::kFlush).size(), 1u);
  t.running_ns = 0;
  EXPECT_TRUE(a.decide({kUnder}, kThreshold, rule, t).empty());
  EXPECT_FALSE(a.well(0).alarm) << "the 0.9s before the flush do not hold the mean up";
}
