// The shelved wells kept across restarts (shelved_wells.h): what is recorded
// reads back, in order, with who, why and since when; put back removes it; a
// missing file is nothing shelved; a damaged one is refused, naming the file,
// and shelves nothing; an unwritable folder is an error, not a crash.

#include "shelved_wells.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>

using namespace wellmonitor::run;
namespace fs = std::filesystem;

namespace {

fs::path fresh_dir(const std::string& name) {
  const fs::path d = fs::path(::testing::TempDir()) / ("wellmonitor-shelved-" + std::to_string(::getpid()) + "-" + name);
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

}  // namespace

TEST(ShelvedWells, WhatIsRecordedReadsBackInOrderAndPutBackRemovesIt) {
  const fs::path dir = fresh_dir("record");
  const std::string path = (dir / shelved_file_name("table1")).string();
  EXPECT_EQ(fs::path(path).filename(), "table1.shelved.json");
  std::string error;
  ShelvedWells s(path);
  ASSERT_TRUE(s.load(error)) << error;
  EXPECT_TRUE(s.wells().empty()) << "no file yet: nothing shelved";

  ASSERT_TRUE(s.record("r2w9", true, "Anna", "cylinder removed", "2026-12-07T06:00:00Z", error)) << error;
  ASSERT_TRUE(s.record("r1w4", true, "Ben", "", "2026-12-07T06:05:00Z", error)) << error;
  // shelved again: the new words, the first time kept
  ASSERT_TRUE(s.record("r2w9", true, "Carl", "still out", "2026-12-07T07:00:00Z", error)) << error;

  ShelvedWells after_restart(path);
  ASSERT_TRUE(after_restart.load(error)) << error;
  ASSERT_EQ(after_restart.wells().size(), 2u);
  const ShelvedWell& a = after_restart.wells()[0];
  EXPECT_EQ(a.well, "r2w9");
  EXPECT_EQ(a.by, "Carl");
  EXPECT_EQ(a.note, "still out");
  EXPECT_EQ(a.since, "2026-12-07T06:00:00Z");
  EXPECT_EQ(after_restart.wells()[1].well, "r1w4");

  ASSERT_TRUE(after_restart.record("r2w9", false, "Anna", "new cylinder", "2026-12-07T08:00:00Z", error)) << error;
  ASSERT_TRUE(after_restart.record("r3w3", false, "Anna", "", "2026-12-07T08:00:00Z", error)) << "never shelved";
  ShelvedWells again(path);
  ASSERT_TRUE(again.load(error)) << error;
  ASSERT_EQ(again.wells().size(), 1u);
  EXPECT_EQ(again.wells()[0].well, "r1w4");
  EXPECT_FALSE(fs::exists(path + ".new")) << "the new file replaced the old";
  fs::remove_all(dir);
}

TEST(ShelvedWells, ADamagedFileIsNamedAndShelvesNothing) {
  const fs::path dir = fresh_dir("damaged");
  const std::string path = (dir / "t.shelved.json").string();
  const std::pair<std::string, std::string> cases[] = {
      {"{\"shelved\": [{\"well\": \"r1w1\"", "is damaged \\(parse error at line 1, column \\d+: "},
      {"[1, 2]", "is damaged \\(no \"shelved\" list\\)"},
      {"{\"shelved\": [{\"by\": \"Anna\"}]}", "is damaged \\(an entry without a \"well\"\\)"},
      {"{\"shelved\": [{\"well\": \"\"}]}", "is damaged \\(an entry without a \"well\"\\)"},
  };
  for (const auto& [text, expected] : cases) {
    std::ofstream(path, std::ios::trunc) << text;
    ShelvedWells s(path);
    std::string error;
    EXPECT_FALSE(s.load(error)) << text;
    EXPECT_TRUE(s.wells().empty()) << text;
    EXPECT_TRUE(std::regex_search(error, std::regex(expected))) << error;
    EXPECT_EQ(error.rfind(path, 0), 0u) << "names the file: " << error;
  }
  fs::remove_all(dir);
}

TEST(ShelvedWells, AFolderThatCannotBeWrittenIsAnError) {
  ShelvedWells s("/nonexistent-folder/t.shelved.json");
  std::string error;
  ASSERT_TRUE(s.load(error)) << "missing: nothing shelved";
  EXPECT_FALSE(s.record("r1w1", true, "Anna", "", "2026-12-07T06:00:00Z", error));
  EXPECT_NE(error.find("cannot write /nonexistent-folder/t.shelved.json.new"), std::string::npos) << error;
}

TEST(ShelvedWells, NowIsUtcIso8601AndReadsBack) {
  EXPECT_TRUE(std::regex_match(utc_now_iso(), std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)"))) << utc_now_iso();
  EXPECT_EQ(utc_iso_to_us("2026-12-07T06:00:00Z"), 1796623200LL * 1000000);
  const long long now = utc_iso_to_us(utc_now_iso());
  EXPECT_NEAR(static_cast<double>(now) / 1e6, static_cast<double>(std::time(nullptr)), 2);
  EXPECT_EQ(utc_iso_to_us(""), 0);
  EXPECT_EQ(utc_iso_to_us("yesterday"), 0);
  EXPECT_EQ(utc_iso_to_us("2026-12-07T06:00:00Z trailing"), 0);
}
