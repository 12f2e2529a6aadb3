// The demo's check of its alarms against the replay's ground truth.

#include "truth_check.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <stdexcept>
#include <string>

using namespace wellmonitor::run;

namespace {

std::string truth_file(const std::string& text) {
  std::string t = "/tmp/wellmonitor-truth-XXXXXX";
  const int fd = mkstemp(t.data());
  if (fd >= 0) close(fd);
  std::ofstream(t) << text;
  return t;
}

}  // namespace

TEST(TruthCheck, ASpillIsDetectedByItsWellsAlarmUpToSlackFramesAfterItsEnd) {
  const std::string path = truth_file("well,first_frame,last_frame\nr1w4,46,105\nr2w9,164,217\n");
  const TruthReport r = check_against_truth(
      path, {{"r1w4", 52, "4.333s"}, {"r2w9", 230, "19.167s"}, {"r5w1", 300, "25.000s"}}, 12);
  ASSERT_EQ(r.spills.size(), 2u);
  EXPECT_EQ(r.spills[0].alarm_frame, 52);
  EXPECT_EQ(r.spills[1].alarm_frame, -1) << "frame 230 is past 217 + 12";
  EXPECT_EQ(r.detected(), 1);
  ASSERT_EQ(r.false_alarms.size(), 2u);
  EXPECT_EQ(r.text(),
            "  spill at r1w4   frames 46-105: alarm at frame 52 (6 frames in)\n"
            "  spill at r2w9   frames 164-217: MISSED\n"
            "detected 1 of 2 spills; 2 false alarm(s): r2w9@19.167s r5w1@25.000s\n");
  std::remove(path.c_str());
}

TEST(TruthCheck, ABadGroundTruthIsAnErrorNamingTheFile) {
  const std::string path = truth_file("well,first_frame,last_frame\nr1w4,46\n");
  try {
    check_against_truth(path, {}, 12);
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(path + ":2"), std::string::npos) << e.what();
  }
  std::remove(path.c_str());
}
