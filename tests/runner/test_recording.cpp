// The recording's segment names and their retention.

#include "recording.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/time.h>

#include <filesystem>
#include <fstream>
#include <string>

using namespace wellmonitor::run;
namespace fs = std::filesystem;

namespace {

constexpr uint64_t kMB = 1 << 20;

std::vector<Segment> five_segments() {
  // 100 MB each, one a minute, the last one ended at t = 1000
  std::vector<Segment> v;
  for (int i = 0; i < 5; ++i) v.push_back({"s" + std::to_string(i) + ".ts", 100 * kMB, 760 + 60 * i});
  return v;
}

}  // namespace

TEST(Recording, SegmentNamesCarryTheCameraTheStartAndTheRunsIndex) {
  setenv("TZ", "UTC", 1);
  tzset();
  EXPECT_EQ(segment_file_name("table1", 1796562000, 7), "table1-20261206-130000-0007.ts");
  EXPECT_EQ(segment_file_name("line 2/cam", 1796562000, 12345), "line_2_cam-20261206-130000-12345.ts");
  EXPECT_TRUE(is_segment_of("table1-20261206-140000-0007.ts", "table1"));
  EXPECT_TRUE(is_segment_of("line_2_cam-20261206-140000-12345.ts", "line 2/cam"));
  EXPECT_FALSE(is_segment_of("table10-20261206-140000-0007.ts", "table1")) << "another camera";
  EXPECT_FALSE(is_segment_of("table1-20261206-140000-0007.mp4", "table1"));
  EXPECT_FALSE(is_segment_of("table1-notes.ts", "table1"));
  EXPECT_FALSE(is_segment_of("table1-20261206-140000-07.ts", "table1"));
}

TEST(Recording, WithinEveryBoundNothingIsRemoved) {
  const RetentionPolicy p{1000 * kMB, 3600, 100 * kMB};
  EXPECT_TRUE(segments_to_remove(five_segments(), p, 1000, "s4.ts", 10000 * kMB).empty());
}

TEST(Recording, TheOldestSegmentsGoUntilTheTotalFitsTheSizeBound) {
  const RetentionPolicy p{250 * kMB, 0, 0};
  auto segments = five_segments();
  std::swap(segments[0], segments[3]);  // any order in
  EXPECT_EQ(segments_to_remove(segments, p, 1000, "s4.ts", UINT64_MAX),
            (std::vector<std::string>{"s0.ts", "s1.ts", "s2.ts"}));
}

TEST(Recording, SegmentsOlderThanTheAgeBoundGo) {
  const RetentionPolicy p{0, 150, 0};
  // ends at 760, 820, 880, 940, 1000; now 1000: older than 150 s are 760 and 820
  EXPECT_EQ(segments_to_remove(five_segments(), p, 1000, "s4.ts", UINT64_MAX),
            (std::vector<std::string>{"s0.ts", "s1.ts"}));
}

TEST(Recording, SegmentsGoWhileTheDiskHasLessFreeThanItMustKeep) {
  const RetentionPolicy p{0, 0, 500 * kMB};
  // 320 MB free: two segments free 200 MB more
  EXPECT_EQ(segments_to_remove(five_segments(), p, 1000, "s4.ts", 320 * kMB),
            (std::vector<std::string>{"s0.ts", "s1.ts"}));
}

TEST(Recording, TheSegmentBeingWrittenIsNeverRemoved) {
  const RetentionPolicy p{1, 1, UINT64_MAX};
  EXPECT_EQ(segments_to_remove(five_segments(), p, 100000, "s4.ts", 0),
            (std::vector<std::string>{"s0.ts", "s1.ts", "s2.ts", "s3.ts"}));
}

TEST(Recording, RetentionRemovesOnlyThisCamerasOldSegmentsOnDisk) {
  std::string t = "/tmp/wellmonitor-rec-XXXXXX";
  ASSERT_NE(mkdtemp(t.data()), nullptr);
  const fs::path dir = t;
  const auto make = [&](const std::string& name, size_t bytes, time_t mtime) {
    std::ofstream(dir / name) << std::string(bytes, 'x');
    const struct timeval times[2] = {{mtime, 0}, {mtime, 0}};
    utimes((dir / name).c_str(), times);
  };
  const time_t now = time(nullptr);
  make("cam-20261206-100000-0000.ts", 1000, now - 300);
  make("cam-20261206-100100-0001.ts", 1000, now - 200);
  make("cam-20261206-100200-0002.ts", 1000, now - 100);
  make("other-20261206-100000-0000.ts", 5000, now - 1000);
  make("notes.txt", 5000, now - 1000);
  std::vector<std::string> errors;
  const auto removed = apply_retention(dir.string(), "cam", RetentionPolicy{2500, 0, 0},
                                       (dir / "cam-20261206-100200-0002.ts").string(), errors);
  EXPECT_TRUE(errors.empty());
  ASSERT_EQ(removed.size(), 1u);
  EXPECT_EQ(fs::path(removed[0]).filename(), "cam-20261206-100000-0000.ts");
  EXPECT_FALSE(fs::exists(dir / "cam-20261206-100000-0000.ts"));
  EXPECT_TRUE(fs::exists(dir / "cam-20261206-100100-0001.ts"));
  EXPECT_TRUE(fs::exists(dir / "other-20261206-100000-0000.ts")) << "another camera's segment";
  EXPECT_TRUE(fs::exists(dir / "notes.txt"));
  fs::remove_all(dir);
}
