// Stopping on signals, and the exit status decided from how the run ended.

#include "exit_status.h"
#include "stop_sequence.h"

#include <gtest/gtest.h>
#include <signal.h>

using namespace wellmonitor::run;

TEST(StopSequence, TheFirstSignalEndsTheStreamAndWaitsForIt) {
  StopSequence stop(10);
  const auto s = stop.signal(100, true);
  EXPECT_TRUE(s.send_eos);
  EXPECT_FALSE(s.stop_now);
  EXPECT_TRUE(stop.waiting_for_eos());
  EXPECT_FALSE(stop.tick(109.9).stop_now);
  const auto done = stop.eos();
  EXPECT_TRUE(done.stop_now);
  EXPECT_FALSE(done.timed_out);
  EXPECT_FALSE(stop.waiting_for_eos());
}

TEST(StopSequence, AnEndOfStreamThatDoesNotArriveInTimeStopsAnyway) {
  StopSequence stop(10);
  stop.signal(100, true);
  const auto s = stop.tick(110);
  EXPECT_TRUE(s.stop_now);
  EXPECT_TRUE(s.timed_out);
  EXPECT_FALSE(stop.eos().stop_now) << "once";
}

TEST(StopSequence, WithoutAStreamYetItStopsStraightAway) {
  StopSequence stop(10);
  const auto s = stop.signal(100, false);
  EXPECT_FALSE(s.send_eos);
  EXPECT_TRUE(s.stop_now);
}

TEST(StopSequence, ASecondSignalStopsAtOnce) {
  StopSequence stop(10);
  stop.signal(100, true);
  const auto s = stop.signal(101, true);
  EXPECT_TRUE(s.abort);
  EXPECT_FALSE(s.send_eos);
  EXPECT_EQ(stop.signals(), 2);
}

TEST(ExitStatus, AFileThatEndsOrARequestedStopIsASuccess) {
  RunOutcome file;
  file.end = RunOutcome::End::kFileEnded;
  EXPECT_EQ(decide_exit(file).code, 0);
  EXPECT_TRUE(decide_exit(file).line.empty());
  RunOutcome stop;
  stop.end = RunOutcome::End::kStopRequested;
  stop.signal = SIGTERM;
  EXPECT_EQ(decide_exit(stop).code, 0);
}

TEST(ExitStatus, EventsLeftUndeliveredAtAStopAreAFailureSayingHowManyAndWhere) {
  RunOutcome o;
  o.end = RunOutcome::End::kStopRequested;
  o.undelivered = 3;
  o.undelivered_to = "mqtt://broker:1883";
  o.undelivered_where = "/var/lib/wellmonitor/table1/spool";
  const ExitDecision d = decide_exit(o);
  EXPECT_EQ(d.code, kExitUndelivered);
  EXPECT_EQ(d.line, "3 events not delivered to mqtt://broker:1883 (waiting in /var/lib/wellmonitor/table1/spool)");
  o.end = RunOutcome::End::kFileEnded;
  o.undelivered = 1;
  o.undelivered_to.clear();
  o.undelivered_where.clear();
  EXPECT_EQ(decide_exit(o).code, kExitUndelivered);
  EXPECT_EQ(decide_exit(o).line, "1 event not delivered");
}

TEST(ExitStatus, AnErrorIsAFailureWithItsOneLine) {
  RunOutcome o;
  o.end = RunOutcome::End::kError;
  o.error = "Could not open resource for reading. (filesrc0)";
  EXPECT_EQ(decide_exit(o).code, kExitError);
  EXPECT_EQ(decide_exit(o).line, o.error);
}

TEST(ExitStatus, APipelineThatStopsWithoutErrorOrRequestIsNeverASuccess) {
  RunOutcome o;  // a live stream never ends the run by itself
  EXPECT_EQ(decide_exit(o).code, kExitError);
  EXPECT_FALSE(decide_exit(o).line.empty());
}

TEST(ExitStatus, AStopWhoseEndOfStreamTimedOutIsAFailure) {
  RunOutcome o;
  o.end = RunOutcome::End::kStopRequested;
  o.stop_timed_out = true;
  EXPECT_EQ(decide_exit(o).code, kExitStopTimeout);
}

TEST(ExitStatus, ASecondSignalExitsWith128PlusTheSignal) {
  RunOutcome o;
  o.end = RunOutcome::End::kForced;
  o.signal = SIGINT;
  const ExitDecision d = decide_exit(o);
  EXPECT_EQ(d.code, 128 + SIGINT);
  EXPECT_NE(d.line.find("SIGINT"), std::string::npos) << d.line;
}
