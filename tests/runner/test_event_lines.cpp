// The alarm and camera lines, and their delivery to stdout and the log.

#include "event_lines.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

using namespace wellmonitor::run;

namespace {

std::string read_file(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

AlarmEvent r3w11() {
  AlarmEvent e;
  e.well = "r3w11";
  e.stream_time_ns = 12416666666ull;
  e.frame = 149;
  e.score = 0.0813;
  e.threshold = 0.052;
  return e;
}

std::string temp_dir() {
  std::string t = "/tmp/wellmonitor-lines-XXXXXX";
  return mkdtemp(t.data()) ? t : "";
}

}  // namespace

TEST(EventLines, AnAlarmLineHasTodaysFormat) {
  EXPECT_EQ(format_alarm_line(r3w11()), "ALARM well=r3w11 time=12.417s frame=149 score=0.0813 threshold=0.0520");
  AlarmEvent clear = r3w11();
  clear.kind = AlarmEvent::Kind::kClear;
  clear.stream_time_ns = 16083000000ull;
  clear.frame = 193;
  clear.score = 0.0411;
  EXPECT_EQ(format_alarm_line(clear), "CLEAR well=r3w11 time=16.083s frame=193 score=0.0411 threshold=0.0520");
  clear.reason = "camera-lost";
  EXPECT_EQ(format_alarm_line(clear),
            "CLEAR well=r3w11 time=16.083s frame=193 score=0.0411 threshold=0.0520 reason=camera-lost");
}

TEST(EventLines, AnUnknownStreamTimeIsAQuestionMark) {
  AlarmEvent e = r3w11();
  e.stream_time_ns.reset();
  EXPECT_EQ(format_alarm_line(e), "ALARM well=r3w11 time=?s frame=149 score=0.0813 threshold=0.0520");
}

TEST(EventLines, CameraLinesNameTheCameraAndTheReasonOrTheOutage) {
  EXPECT_EQ(format_camera_lost_line("table1", "no-frames"), "CAMERA LOST camera=table1 reason=no-frames");
  EXPECT_EQ(format_camera_back_line("table1", 12.44), "CAMERA BACK camera=table1 after=12.4s");
}

TEST(EventLines, EveryLineIsInTheLogTheMomentItIsGivenAndCounted) {
  const std::string dir = temp_dir();
  ASSERT_FALSE(dir.empty());
  const std::string log = dir + "/alarms.log";
  std::FILE* out = std::tmpfile();
  EventLines lines(out, log);
  std::string error;
  ASSERT_TRUE(lines.open(true, error)) << error;
  lines.alarm(r3w11());
  // read back while the writer is still open: nothing waits in a buffer
  EXPECT_EQ(read_file(log), "ALARM well=r3w11 time=12.417s frame=149 score=0.0813 threshold=0.0520\n");
  AlarmEvent clear = r3w11();
  clear.kind = AlarmEvent::Kind::kClear;
  lines.alarm(clear);
  lines.line(format_camera_lost_line("t", "eos"));
  EXPECT_EQ(lines.alarms(), 1u);
  EXPECT_EQ(lines.clears(), 1u);
  const std::string all = read_file(log);
  const std::string last = "CAMERA LOST camera=t reason=eos\n";
  ASSERT_GE(all.size(), last.size());
  EXPECT_EQ(all.substr(all.size() - last.size()), last);
  // the same lines on the stream, flushed
  std::rewind(out);
  char buf[512] = {};
  const size_t n = std::fread(buf, 1, sizeof buf - 1, out);
  EXPECT_EQ(std::string(buf, n), read_file(log));
  std::fclose(out);
  std::remove(log.c_str());
  rmdir(dir.c_str());
}

TEST(EventLines, InShadowModeAlarmAndClearLinesStartWithShadowAndAreStillCounted) {
  std::FILE* out = std::tmpfile();
  EventLines lines(out, "");
  lines.set_alarm_prefix("SHADOW ");
  lines.alarm(r3w11());
  lines.line(format_camera_lost_line("t", "eos"));
  EXPECT_EQ(lines.alarms(), 1u);
  std::rewind(out);
  char buf[512] = {};
  const size_t n = std::fread(buf, 1, sizeof buf - 1, out);
  EXPECT_EQ(std::string(buf, n),
            "SHADOW ALARM well=r3w11 time=12.417s frame=149 score=0.0813 threshold=0.0520\n"
            "CAMERA LOST camera=t reason=eos\n");
  std::fclose(out);
}

TEST(EventLines, ALogIsAppendedToOrTruncatedAsAsked) {
  const std::string dir = temp_dir();
  const std::string log = dir + "/a.log";
  std::ofstream(log) << "old line\n";
  {
    EventLines lines(nullptr, log);
    std::string error;
    ASSERT_TRUE(lines.open(false, error));
    lines.line("new line");
  }
  EXPECT_EQ(read_file(log), "old line\nnew line\n");
  {
    EventLines lines(nullptr, log);
    std::string error;
    ASSERT_TRUE(lines.open(true, error));
    lines.line("only line");
  }
  EXPECT_EQ(read_file(log), "only line\n");
  std::remove(log.c_str());
  rmdir(dir.c_str());
}

TEST(EventLines, ALogThatCannotBeWrittenIsRefusedWithItsPath) {
  EventLines lines(nullptr, "/nonexistent-dir/x/alarms.log");
  std::string error;
  EXPECT_FALSE(lines.open(false, error));
  EXPECT_NE(error.find("/nonexistent-dir/x/alarms.log"), std::string::npos) << error;
}
