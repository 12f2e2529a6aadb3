// The element benchmark measures what users run: its end-to-end row is a
// gst-launch-1.0 process of its own (a pid that is neither the bench's nor
// this test's), and it reports frames/s, latency, peak RSS and page faults
// for it. Runs the bench on a 12-frame clip of the demo replay.
#include "support/subprocess.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace fs = std::filesystem;

namespace {

class BenchElement : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("wellmonitor-bench-test-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  fs::path dir_;
};

TEST_F(BenchElement, EndToEndRowIsAGstLaunchProcessOfItsOwnWithItsFigures) {
  const std::string src = WELLMONITOR_SOURCE_DIR;
  const std::string clip = (dir_ / "clip.mp4").string();
  const auto made = wellmonitor_test::run_process(
      "/usr/bin/gst-launch-1.0",
      {"-q", "filesrc", "location=" + src + "/pipelines/demo/replay.mp4", "!", "decodebin", "!", "videoconvert", "!",
       "identity", "eos-after=12", "!", "x264enc", "speed-preset=ultrafast", "!", "mp4mux", "!", "filesink",
       "location=" + clip},
      dir_.string());
  ASSERT_EQ(made.exit_code, 0) << made.describe();

  const std::string json = (dir_ / "bench.json").string();
  const auto bench = wellmonitor_test::run_process(
      WELLMONITOR_BENCH_ELEMENT, {"--video", clip, "--frames", "4", "--warmup", "2", "--python", "", "--no-diagnosis",
                                  "--json", json},
      dir_.string());
  ASSERT_EQ(bench.exit_code, 0) << bench.describe();
  std::ifstream in(json);
  const nlohmann::json j = nlohmann::json::parse(in);
  const long bench_pid = j.at("bench_pid").get<long>();
  EXPECT_EQ(bench_pid, bench.pid);
  int e2e_rows = 0;
  for (const auto& row : j.at("rows")) {
    if (row.at("side") != "e2e" && row.at("side") != "decode") continue;
    const long pid = row.at("pid").get<long>();
    EXPECT_GT(pid, 0) << row.dump();
    EXPECT_NE(pid, bench_pid) << row.dump();
    EXPECT_NE(pid, static_cast<long>(::getpid())) << row.dump();
    EXPECT_TRUE(row.at("ok").get<bool>()) << row.dump();
    EXPECT_GT(row.at("rss_mib").get<double>(), 0) << row.dump();
    if (row.at("side") == "e2e") {
      ++e2e_rows;
      EXPECT_GE(row.at("frames").get<long>(), 8) << row.dump();  // 12 or so frames, 2 left out for warm-up
      EXPECT_GT(row.at("fps").get<double>(), 0) << row.dump();
      EXPECT_GT(row.at("p99_ms").get<double>(), 0) << row.dump();
      EXPECT_GE(row.at("faults_per_frame").get<double>(), 0) << row.dump();
      EXPECT_GT(row.at("cpu_percent").get<double>(), 0) << row.dump();
    }
  }
  EXPECT_EQ(e2e_rows, 1);
  EXPECT_NE(bench.out.find("Where users run it"), std::string::npos) << bench.out;
  EXPECT_NE(bench.out.find("Cost of each model"), std::string::npos) << bench.out;
}

}  // namespace
