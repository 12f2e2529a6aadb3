// The source supervisor's state machine, driven by hand with made-up times.

#include "supervisor.h"

#include <gtest/gtest.h>

#include <vector>

using namespace wellmonitor::run;

namespace {

SupervisorSettings live(double watchdog = 5, double start_timeout = 10) {
  SupervisorSettings s;
  s.watchdog_s = watchdog;
  s.start_timeout_s = start_timeout;
  return s;
}

// Lets a source fail at `t` and returns the retry delay it got.
double fail_and_retry(SourceSupervisor& sup, double& t) {
  const SupervisorActions a = sup.error(t);
  EXPECT_TRUE(a.stop_source);
  EXPECT_TRUE(a.retry_in_s.has_value());
  const double delay = a.retry_in_s.value_or(-1);
  t += delay;
  EXPECT_TRUE(sup.tick(t).start_source);
  return delay;
}

}  // namespace

TEST(SourceSupervisor, StartsTheSourceAndIsUpAtTheFirstFrame) {
  SourceSupervisor sup(live());
  const SupervisorActions a = sup.start(0);
  EXPECT_TRUE(a.start_source);
  EXPECT_EQ(sup.state(), SourceState::kStarting);
  const SupervisorActions f = sup.frame(0.5);
  EXPECT_EQ(sup.state(), SourceState::kUp);
  EXPECT_TRUE(f.came_up);
  EXPECT_FALSE(f.report_back) << "a camera never reported lost is not reported back";
  EXPECT_FALSE(sup.frame(0.6).came_up) << "once per attempt";
  EXPECT_FALSE(f.report_lost);
}

TEST(SourceSupervisor, NoFrameForTheWatchdogTimeIsACameraLostWithReasonNoFrames) {
  SourceSupervisor sup(live(5));
  sup.start(0);
  sup.frame(1);
  sup.frame(2);
  EXPECT_FALSE(sup.tick(6.9).any()) << "4.9 s after the last frame";
  const SupervisorActions a = sup.tick(7.0);
  EXPECT_TRUE(a.stop_source);
  EXPECT_FALSE(a.before_first_frame);
  ASSERT_TRUE(a.report_lost.has_value());
  EXPECT_EQ(*a.report_lost, LossReason::kNoFrames);
  EXPECT_STREQ(to_string(*a.report_lost), "no-frames");
  EXPECT_EQ(sup.state(), SourceState::kLost);
  EXPECT_DOUBLE_EQ(sup.down_since(), 7.0);
}

TEST(SourceSupervisor, AnErrorOrTheStreamsEndLosesTheCameraWithThatReason) {
  for (const bool eos : {false, true}) {
    SourceSupervisor sup(live());
    sup.start(0);
    sup.frame(1);
    const SupervisorActions a = eos ? sup.eos(2) : sup.error(2);
    ASSERT_TRUE(a.report_lost.has_value());
    EXPECT_EQ(*a.report_lost, eos ? LossReason::kEos : LossReason::kError);
    EXPECT_TRUE(a.stop_source);
    EXPECT_FALSE(a.start_source) << "the retry waits for its delay";
    EXPECT_STREQ(to_string(*a.report_lost), eos ? "eos" : "error");
  }
}

TEST(SourceSupervisor, RetriesForeverWithBackoffDoublingFromOneSecondToThirty) {
  SourceSupervisor sup(live());
  double t = 0;
  sup.start(t);
  std::vector<double> delays;
  for (int i = 0; i < 9; ++i) delays.push_back(fail_and_retry(sup, t));
  EXPECT_EQ(delays, (std::vector<double>{1, 2, 4, 8, 16, 30, 30, 30, 30}));
  EXPECT_EQ(sup.failed_attempts(), 9);
  EXPECT_EQ(sup.state(), SourceState::kStarting);
}

TEST(SourceSupervisor, ReportsTheCameraLostOncePerOutageAndBackWhenFramesFlow) {
  SourceSupervisor sup(live());
  double t = 0;
  sup.start(t);
  sup.frame(t += 1);
  SupervisorActions first = sup.error(t += 1);
  EXPECT_TRUE(first.report_lost.has_value());
  t += *first.retry_in_s;
  sup.tick(t);
  // the next attempts fail too: still one report
  for (int i = 0; i < 3; ++i) {
    const SupervisorActions again = sup.error(t += 0.5);
    EXPECT_FALSE(again.report_lost.has_value()) << "attempt " << i;
    EXPECT_TRUE(again.failure.has_value());
    t += *again.retry_in_s;
    sup.tick(t);
  }
  const SupervisorActions back = sup.frame(t += 0.2);
  EXPECT_TRUE(back.report_back);
  EXPECT_FALSE(sup.reported_lost());
  EXPECT_EQ(sup.state(), SourceState::kUp);
  EXPECT_DOUBLE_EQ(sup.down_since(), 2.0) << "the outage began at the first failure";
}

TEST(SourceSupervisor, TheBackoffStartsAgainAtOneSecondOnceFramesFlow) {
  SourceSupervisor sup(live());
  double t = 0;
  sup.start(t);
  fail_and_retry(sup, t);
  fail_and_retry(sup, t);
  fail_and_retry(sup, t);
  sup.frame(t += 0.1);
  EXPECT_EQ(fail_and_retry(sup, t), 1.0);
  EXPECT_EQ(sup.failed_attempts(), 1);
}

TEST(SourceSupervisor, ACameraNotUpAtStartIsReportedLostAndWaitedForTheSameWay) {
  SourceSupervisor sup(live(5, 10));
  sup.start(0);
  EXPECT_FALSE(sup.tick(9.9).any());
  const SupervisorActions a = sup.tick(10);
  ASSERT_TRUE(a.report_lost.has_value()) << "no frame within the start timeout";
  EXPECT_EQ(*a.report_lost, LossReason::kNoFrames);
  EXPECT_TRUE(a.before_first_frame);
  EXPECT_EQ(a.retry_in_s.value_or(0), 1.0);
  EXPECT_TRUE(sup.tick(11).start_source);
  EXPECT_TRUE(sup.frame(12).report_back);
}

TEST(SourceSupervisor, AStartingSourceHasTheStartTimeoutNotTheWatchdog) {
  SourceSupervisor sup(live(2, 10));
  sup.start(0);
  EXPECT_FALSE(sup.tick(5).any()) << "RTSP set-up may take longer than the watchdog";
  sup.frame(6);
  EXPECT_FALSE(sup.tick(7.9).any());
  EXPECT_TRUE(sup.tick(8).report_lost.has_value());
}

TEST(SourceSupervisor, InputsOfASourceAlreadyTornDownAreIgnored) {
  SourceSupervisor sup(live());
  sup.start(0);
  sup.frame(1);
  sup.eos(2);
  EXPECT_FALSE(sup.frame(2.1).any()) << "a late frame of the old source";
  EXPECT_FALSE(sup.error(2.2).any()) << "its error while it stops";
  EXPECT_FALSE(sup.eos(2.3).any());
  EXPECT_EQ(sup.state(), SourceState::kLost);
}

TEST(SourceSupervisor, ARecordedFileEndsTheRunAtItsEndAndFailsItOnAnError) {
  SupervisorSettings file;
  file.reconnect = false;
  SourceSupervisor ended(file);
  ended.start(0);
  ended.frame(1);
  EXPECT_FALSE(ended.tick(1000).any()) << "no watchdog on a file";
  const SupervisorActions e = ended.eos(1001);
  EXPECT_TRUE(e.finished);
  EXPECT_FALSE(e.report_lost.has_value());
  EXPECT_FALSE(e.retry_in_s.has_value());
  EXPECT_EQ(ended.state(), SourceState::kFinished);

  SourceSupervisor failed(file);
  failed.start(0);
  const SupervisorActions f = failed.error(0.1);
  EXPECT_TRUE(f.failed);
  EXPECT_FALSE(f.start_source);
  EXPECT_EQ(failed.state(), SourceState::kFailed);
}
