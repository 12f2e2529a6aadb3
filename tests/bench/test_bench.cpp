// The element benchmark measures what users run: its end-to-end row is a
// gst-launch-1.0 process of its own (a pid that is neither the bench's nor
// this test's), and it reports frames/s, latency, peak RSS and page faults
// for it; a camera row (an RTSP client of a real gst-rtsp-server on loopback,
// a stream that does not end) finishes, in a process of its own, with its
// figures over its window. Runs the bench once on a 7 s clip of the demo
// replay, small, which is also the camera's stream, measured for 2 s.
#include "support/rtsp_server.h"
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

TEST_F(BenchElement, EndToEndAndCameraRowsAreGstLaunchProcessesOfTheirOwnWithTheirFigures) {
  const std::string missing = wellmonitor_test::rtsp_server_missing(dir_.string());
  if (!missing.empty()) GTEST_SKIP() << missing;
  const std::string src = WELLMONITOR_SOURCE_DIR;
  // 7 s of the demo replay at 25 frames/s, small: the end-to-end row's video
  // and the camera's stream (served as it is, not re-encoded by the bench)
  const std::string clip = (dir_ / "clip.mp4").string();
  const auto made = wellmonitor_test::run_process(
      "/usr/bin/gst-launch-1.0",
      {"-q", "filesrc", "location=" + src + "/pipelines/demo/replay.mp4", "!", "decodebin", "!", "videoconvert", "!",
       "videoscale", "!", "videorate", "!", "video/x-raw,width=320,height=200,framerate=25/1", "!", "identity",
       "eos-after=175", "!", "x264enc", "speed-preset=ultrafast", "key-int-max=50", "!", "mp4mux", "!", "filesink",
       "location=" + clip},
      dir_.string());
  ASSERT_EQ(made.exit_code, 0) << made.describe();

  const std::string json = (dir_ / "bench.json").string();
  const auto bench = wellmonitor_test::run_process(
      WELLMONITOR_BENCH_ELEMENT, {"--video", clip, "--frames", "4", "--warmup", "2", "--python", "", "--no-diagnosis",
                                  "--cameras", "1", "--camera-warmup-seconds", "1", "--camera-seconds", "2",
                                  "--camera-stream", clip, "--camera-sink",
                                  "fakesink sync=false", "--json", json},
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
      EXPECT_GE(row.at("frames").get<long>(), 100) << row.dump();  // 175 frames, 2 left out for warm-up
      EXPECT_GT(row.at("fps").get<double>(), 0) << row.dump();
      EXPECT_GT(row.at("p99_ms").get<double>(), 0) << row.dump();
      EXPECT_GE(row.at("faults_per_frame").get<double>(), 0) << row.dump();
      EXPECT_GT(row.at("cpu_percent").get<double>(), 0) << row.dump();
    }
  }
  EXPECT_EQ(e2e_rows, 1);

  // The camera's stream never ends: its row is measured over its window and
  // the process stopped, not waited for.
  ASSERT_EQ(j.at("cameras").size(), 1u) << j.dump();
  const auto& cam = j.at("cameras").at(0);
  EXPECT_EQ(cam.at("error"), "") << cam.dump();
  const long cam_pid = cam.at("pid").get<long>();
  EXPECT_GT(cam_pid, 0) << cam.dump();
  EXPECT_NE(cam_pid, bench_pid) << cam.dump();
  EXPECT_NE(cam_pid, static_cast<long>(::getpid())) << cam.dump();
  EXPECT_EQ(cam.at("mode"), "1 process") << cam.dump();
  EXPECT_DOUBLE_EQ(cam.at("window_s").get<double>(), 2.0);
  EXPECT_NE(cam.at("stop"), "exit 0") << "the stream ended before the bench stopped it: " << cam.dump();
  EXPECT_GT(cam.at("frames_in").get<long>(), 0) << cam.dump();
  EXPECT_GT(cam.at("analysed").get<long>(), 0) << cam.dump();
  EXPECT_LE(cam.at("analysed").get<long>(), cam.at("frames_in").get<long>()) << cam.dump();
  EXPECT_GE(cam.at("skipped").get<long>(), 0) << cam.dump();
  EXPECT_GE(cam.at("dropped").get<long>(), 0) << cam.dump();
  EXPECT_GT(cam.at("fps").get<double>(), 0) << cam.dump();
  EXPECT_GT(cam.at("cpu_percent").get<double>(), 0) << cam.dump();
  EXPECT_GT(cam.at("p99_ms").get<double>(), 0) << cam.dump();
  EXPECT_GT(cam.at("latency_p99_ms").get<double>(), 0) << cam.dump();
  EXPECT_GE(cam.at("latency_p99_ms").get<double>(), cam.at("latency_p50_ms").get<double>()) << cam.dump();
  EXPECT_NE(bench.out.find("Where users run it"), std::string::npos) << bench.out;
  EXPECT_NE(bench.out.find("Cost of each model"), std::string::npos) << bench.out;
  EXPECT_NE(bench.out.find("target: 1 cameras at 25 fps"), std::string::npos) << bench.out;
}

}  // namespace
