// The per-well alarm lifecycle on its own: the decision over frames (the
// debounce), the alarm's event id and highest score, how it ends (exactly once
// per event id, gaps in the frames included), and the same lifecycle followed
// from a decision made upstream (wellpublish).
#include "wellmonitor/alarm_lifecycle.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <map>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace wm = wellmonitor;

namespace {

constexpr double kThreshold = 0.5;

wm::AlarmTime at_ms(int64_t ms) {
  wm::AlarmTime t;
  t.wall_us = ms * 1000;
  t.running_ns = static_cast<uint64_t>(ms) * 1000000;
  return t;
}

wm::AlarmRule rule(unsigned alarm_frames, unsigned clear_frames) {
  wm::AlarmRule r;
  r.alarm_frames = alarm_frames;
  r.clear_frames = clear_frames;
  return r;
}

}  // namespace

TEST(AlarmLifecycle, AnAlarmStartsAndEndsOnceWithTheSameEventId) {
  wm::AlarmLifecycle a;
  a.set_wells({"r1w1", "r1w2"});
  a.set_scope("cam");
  std::vector<wm::AlarmChange> seen;
  const std::vector<double> r1w2_scores = {0.6, 0.9, 0.7, 0.1, 0.2, 0.3};
  for (size_t f = 0; f < r1w2_scores.size(); ++f)
    for (const auto& c : a.decide({0.1, r1w2_scores[f]}, kThreshold, rule(2, 2), at_ms(1000 + 40 * f)))
      seen.push_back(c);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_TRUE(seen[0].alarm);
  EXPECT_EQ(seen[0].well, 1u);
  EXPECT_EQ(seen[0].event_id, "cam:r1w2:1040") << "the id names the scope, the well and the alarm's wall-clock ms";
  EXPECT_DOUBLE_EQ(seen[0].score, 0.9);
  EXPECT_DOUBLE_EQ(seen[0].top_score, 0.9) << "the highest score of the run that raised it";
  EXPECT_FALSE(seen[1].alarm);
  EXPECT_EQ(seen[1].reason, wm::AlarmEnd::kNormal);
  EXPECT_EQ(seen[1].event_id, "cam:r1w2:1040") << "the end carries its alarm's id";
  EXPECT_DOUBLE_EQ(seen[1].score, 0.2);
  EXPECT_DOUBLE_EQ(seen[1].top_score, 0.9) << "the highest score of the whole alarm";
  EXPECT_FALSE(a.well(1).alarm);
  EXPECT_TRUE(a.well(1).event_id.empty());
}

TEST(AlarmLifecycle, DecidesAsTheDebouncerDoes) {
  // the same script as the debouncer's: alarm after 3 frames over, clear after 2 under
  wm::AlarmLifecycle a;
  wm::Debouncer d(1);
  a.set_wells({"w"});
  const std::string script = "SSNSSSNSNNSS";
  for (size_t f = 0; f < script.size(); ++f) {
    const double s = script[f] == 'S' ? 0.9 : 0.1;
    const auto& changes = a.decide({s}, kThreshold, rule(3, 2), at_ms(f));
    const auto& expected = d.update({s}, kThreshold, 3, 2);
    ASSERT_EQ(changes.size(), expected.size()) << "frame " << f;
    for (size_t i = 0; i < changes.size(); ++i) EXPECT_EQ(changes[i].alarm, expected[i].alarm) << "frame " << f;
    EXPECT_EQ(a.well(0).alarm, d.well(0).alarm) << "frame " << f;
    EXPECT_EQ(a.well(0).anomaly, d.well(0).anomaly) << "frame " << f;
    EXPECT_DOUBLE_EQ(a.well(0).score, s);
  }
}

TEST(AlarmLifecycle, RemembersWhenTheAlarmStarted) {
  wm::AlarmLifecycle a;
  a.set_wells({"w"});
  a.decide({0.9}, kThreshold, rule(1, 1), at_ms(5000));
  EXPECT_EQ(a.well(0).since_wall_us, 5000 * 1000);
  EXPECT_EQ(a.well(0).since_running_ns, 5000ull * 1000000ull);
  a.decide({0.1}, kThreshold, rule(1, 1), at_ms(6000));
  EXPECT_EQ(a.well(0).since_running_ns, wm::AlarmTime::kNone);
}

TEST(AlarmLifecycle, EndAllEndsEveryOpenAlarmWithItsReasonAndForgetsTheRuns) {
  wm::AlarmLifecycle a;
  a.set_wells({"a", "b", "c"});
  a.decide({0.9, 0.1, 0.9}, kThreshold, rule(1, 1), at_ms(1));
  a.decide({0.9, 0.9, 0.9}, kThreshold, rule(2, 1), at_ms(2));  // b: one frame over, no alarm yet
  const auto ends = a.end_all(wm::AlarmEnd::kCameraLost);
  ASSERT_EQ(ends.size(), 2u) << "one end per alarm in progress, none for a well that was not in alarm";
  EXPECT_EQ(ends[0].well, 0u);
  EXPECT_EQ(ends[1].well, 2u);
  for (const auto& e : ends) {
    EXPECT_FALSE(e.alarm);
    EXPECT_EQ(e.reason, wm::AlarmEnd::kCameraLost);
    EXPECT_FALSE(e.event_id.empty());
  }
  for (const auto& w : a.wells()) {
    EXPECT_FALSE(w.alarm);
    EXPECT_FALSE(w.anomaly);
    EXPECT_EQ(w.score, 0.0);
  }
  EXPECT_EQ(a.well(1).id, "b") << "the wells stay, only their state goes";
  // b's run over the threshold was forgotten: one more frame over is not two
  EXPECT_TRUE(a.decide({0.1, 0.9, 0.1}, kThreshold, rule(2, 1), at_ms(3)).empty());
  EXPECT_TRUE(a.end_all(wm::AlarmEnd::kStopped).empty()) << "nothing left to end";
}

TEST(AlarmLifecycle, AWellStillSpillingAfterItsAlarmWasEndedIsAlarmedAgainWithANewId) {
  wm::AlarmLifecycle a;
  a.set_wells({"w"});
  const auto first = a.decide({0.9}, kThreshold, rule(1, 1), at_ms(1000));
  ASSERT_EQ(first.size(), 1u);
  const std::string id = first[0].event_id;
  a.end_all(wm::AlarmEnd::kCameraLost);
  const auto again = a.decide({0.9}, kThreshold, rule(1, 1), at_ms(2000));
  ASSERT_EQ(again.size(), 1u);
  EXPECT_TRUE(again[0].alarm);
  EXPECT_NE(again[0].event_id, id);
}

// Seen on a live run on a busy machine: one spill of r2w9 gave ALARM three
// times (frames 155, 160, 166) and one CLEAR, because every discontinuity (a
// frame dropped upstream) ended the alarm silently and the still spilling well
// was alarmed again; the first two event ids were never closed. A gap keeps
// the alarm open: the same spill, with the same gaps, is one alarm and one end.
TEST(AlarmLifecycle, OneSpillWithFramesLostDuringItIsOneAlarmAndOneEnd) {
  // frame: spill from 150 to 180, normal after; two frames lost at 160 and at 170
  auto run = [](bool old_way) {
    wm::AlarmLifecycle a;
    a.set_wells({"r2w8", "r2w9"});
    std::vector<wm::AlarmChange> seen;
    for (int f = 140; f < 200; ++f) {
      if (f == 160 || f == 170) {
        if (old_way)
          a.end_all(wm::AlarmEnd::kGap);  // what a discontinuity did
        else
          a.gap();
        f += 2;  // two frames lost
      }
      const double s = f >= 150 && f <= 180 ? 0.9 : 0.1;
      for (const auto& c : a.decide({0.1, s}, kThreshold, rule(5, 5), at_ms(f * 40))) seen.push_back(c);
    }
    return seen;
  };
  const auto before = run(true);
  int alarms = 0, clears = 0;
  for (const auto& c : before) (c.alarm ? alarms : clears)++;
  EXPECT_EQ(alarms, 3) << "the seen bug: one spill alarmed three times";
  EXPECT_EQ(clears, 1);

  const auto seen = run(false);
  ASSERT_EQ(seen.size(), 2u) << "one alarm, one end";
  EXPECT_TRUE(seen[0].alarm);
  EXPECT_EQ(seen[0].well, 1u);
  EXPECT_FALSE(seen[1].alarm);
  EXPECT_EQ(seen[1].reason, wm::AlarmEnd::kNormal);
  EXPECT_EQ(seen[1].event_id, seen[0].event_id);
}

TEST(AlarmLifecycle, AGapRestartsTheRunsButNeitherRaisesNorEndsAnAlarm) {
  wm::AlarmLifecycle a;
  a.set_wells({"in-alarm", "building-up"});
  a.decide({0.9, 0.1}, kThreshold, rule(2, 2), at_ms(0));
  a.decide({0.9, 0.9}, kThreshold, rule(2, 2), at_ms(40));  // w0 alarms; w1 one frame over
  ASSERT_TRUE(a.well(0).alarm);
  const std::string id = a.well(0).event_id;
  a.gap();
  EXPECT_TRUE(a.well(0).alarm) << "still open";
  EXPECT_EQ(a.well(0).event_id, id);
  // w1's run starts again: one more frame over is not two
  EXPECT_TRUE(a.decide({0.1, 0.9}, kThreshold, rule(2, 2), at_ms(200)).empty());
  const auto& on = a.decide({0.1, 0.9}, kThreshold, rule(2, 2), at_ms(240));
  ASSERT_EQ(on.size(), 2u);
  EXPECT_FALSE(on[0].alarm) << "w0: two frames normal after the gap clear it";
  EXPECT_EQ(on[0].event_id, id);
  EXPECT_TRUE(on[1].alarm);
}

// Whatever the frames, gaps and ends, every event id that starts ends once.
TEST(AlarmLifecycle, EveryEventIdGetsExactlyOneEnd) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> score(0.0, 1.0);
  std::uniform_int_distribution<int> action(0, 99);
  wm::AlarmLifecycle a;
  a.set_wells({"a", "b", "c"});
  std::map<std::string, int> starts, ends;
  auto count = [&](const std::vector<wm::AlarmChange>& changes) {
    for (const auto& c : changes) (c.alarm ? starts : ends)[c.event_id]++;
  };
  for (int f = 0; f < 5000; ++f) {
    const int act = action(rng);
    if (act < 3)
      a.gap();
    else if (act < 4)
      count(a.end_all(act % 2 ? wm::AlarmEnd::kCameraLost : wm::AlarmEnd::kCameraObscured));
    count(a.decide({score(rng), score(rng) * 1.2, score(rng) * 0.8}, kThreshold, rule(3, 3),
                   at_ms(1000 + f * 40)));
  }
  count(a.end_all(wm::AlarmEnd::kStopped));
  ASSERT_GT(starts.size(), 20u);
  for (const auto& [id, n] : starts) {
    EXPECT_EQ(n, 1) << id;
    EXPECT_EQ(ends[id], 1) << id << " ended " << ends[id] << " times";
  }
  EXPECT_EQ(ends.size(), starts.size());
}

TEST(AlarmLifecycle, AScoreThatIsNoNumberCountsAsAnAnomaly) {
  wm::AlarmLifecycle a;
  a.set_wells({"w"});
  const auto c = a.decide({std::numeric_limits<double>::quiet_NaN()}, kThreshold, rule(1, 1), at_ms(0));
  ASSERT_EQ(c.size(), 1u);
  EXPECT_TRUE(c[0].alarm);
  EXPECT_TRUE(std::isnan(c[0].top_score));
}

TEST(AlarmLifecycle, RefusesAScoreCountThatIsNotTheWellCount) {
  wm::AlarmLifecycle a;
  a.set_wells({"a", "b"});
  EXPECT_THROW(a.decide({0.1}, kThreshold, rule(1, 1), at_ms(0)), std::invalid_argument);
}

TEST(AlarmLifecycle, FollowsAnUpstreamDecisionWithTheSameIdsAndTopScores) {
  wm::AlarmLifecycle a;
  a.set_scope("cam1");
  // the run over the threshold starts before the alarm: its top counts
  EXPECT_EQ(a.follow(3, "r2w4", 0.8, true, false, at_ms(100)), nullptr);
  EXPECT_EQ(a.size(), 4u) << "a well index beyond the known ones makes room";
  const wm::AlarmChange* on = a.follow(3, "r2w4", 0.7, true, true, at_ms(140));
  ASSERT_NE(on, nullptr);
  EXPECT_TRUE(on->alarm);
  EXPECT_EQ(on->well, 3u);
  EXPECT_EQ(on->event_id, "cam1:r2w4:140");
  EXPECT_DOUBLE_EQ(on->top_score, 0.8);
  EXPECT_EQ(a.follow(3, "r2w4", 0.95, true, true, at_ms(180)), nullptr) << "still in alarm: no change";
  const wm::AlarmChange* off = a.follow(3, "r2w4", 0.1, false, false, at_ms(220));
  ASSERT_NE(off, nullptr);
  EXPECT_FALSE(off->alarm);
  EXPECT_EQ(off->reason, wm::AlarmEnd::kNormal);
  EXPECT_EQ(off->event_id, "cam1:r2w4:140");
  EXPECT_DOUBLE_EQ(off->top_score, 0.95);
}

TEST(AlarmLifecycle, AnotherWellAtTheSameIndexStartsAfreshWithoutAnEnd) {
  wm::AlarmLifecycle a;
  ASSERT_NE(a.follow(0, "old", 0.9, true, true, at_ms(0)), nullptr);
  // a new layout put another well at index 0: the old alarm is dropped, not ended
  EXPECT_EQ(a.follow(0, "new", 0.1, false, false, at_ms(40)), nullptr);
  EXPECT_EQ(a.well(0).id, "new");
  EXPECT_FALSE(a.well(0).alarm);
}

TEST(AlarmLifecycle, EveryEndHasAName) {
  EXPECT_STREQ(wm::alarm_end_name(wm::AlarmEnd::kNormal), "normal");
  EXPECT_STREQ(wm::alarm_end_name(wm::AlarmEnd::kFlush), "flush");
  EXPECT_STREQ(wm::alarm_end_name(wm::AlarmEnd::kGap), "gap");
  EXPECT_STREQ(wm::alarm_end_name(wm::AlarmEnd::kStopped), "stopped");
  EXPECT_STREQ(wm::alarm_end_name(wm::AlarmEnd::kLayoutChanged), "reconfigured");
  EXPECT_STREQ(wm::alarm_end_name(wm::AlarmEnd::kCameraLost), "camera-lost");
  EXPECT_STREQ(wm::alarm_end_name(wm::AlarmEnd::kCameraObscured), "camera-obscured");
  EXPECT_STREQ(wm::alarm_end_name(wm::AlarmEnd::kShelved), "shelved");
}

TEST(AlarmLifecycle, ShelvingAWellEndsItsAlarmAndRaisesNoneUntilItIsPutBack) {
  wm::AlarmLifecycle a;
  a.set_wells({"r1w1", "r1w2"});
  a.set_scope("cam");
  int64_t ms = 0;
  auto frame = [&](double score) { return a.decide({0.1, score}, kThreshold, rule(2, 2), at_ms(ms += 40)); };
  frame(0.9);
  ASSERT_EQ(frame(0.9).size(), 1u);
  const std::string id = a.well(1).event_id;
  const wm::AlarmChange* end = a.shelve(1, true);
  ASSERT_NE(end, nullptr) << "the alarm in progress ends";
  EXPECT_FALSE(end->alarm);
  EXPECT_EQ(end->reason, wm::AlarmEnd::kShelved);
  EXPECT_EQ(end->event_id, id);
  EXPECT_TRUE(a.well(1).shelved);
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(frame(0.9).empty()) << "a shelved well raises no alarm";
  EXPECT_EQ(a.shelve(1, true), nullptr) << "shelving it again changes nothing";
  a.end_all(wm::AlarmEnd::kCameraLost);
  EXPECT_TRUE(a.well(1).shelved) << "shelved across the end of every alarm";
  EXPECT_EQ(a.shelve(1, false), nullptr);
  frame(0.9);
  const std::vector<wm::AlarmChange> again = frame(0.9);
  ASSERT_EQ(again.size(), 1u) << "put back while still spilling: a new alarm";
  EXPECT_TRUE(again[0].alarm);
  EXPECT_NE(again[0].event_id, id);
}

TEST(AlarmLifecycle, FollowsAShelvingDecidedUpstreamAsTheEndOfTheAlarm) {
  wm::AlarmLifecycle a;
  a.set_scope("cam");
  ASSERT_NE(a.follow(0, "r1w1", 0.9, true, true, at_ms(0)), nullptr);
  const wm::AlarmChange* end = a.follow(0, "r1w1", 0.9, true, false, at_ms(40), true);
  ASSERT_NE(end, nullptr);
  EXPECT_EQ(end->reason, wm::AlarmEnd::kShelved) << "not normal: the well was shelved";
  EXPECT_TRUE(a.well(0).shelved);
  EXPECT_EQ(a.follow(0, "r1w1", 0.9, true, false, at_ms(80), true), nullptr);
}
