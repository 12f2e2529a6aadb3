// The live view re-streamed over RTSP (wellmonitor-run --restream-port), as a
// control-room screen or an NVR uses it: its options and the pipeline they
// describe; end to end, the runner on a short replay clip serving the annotated
// view while GStreamer's own RTSP client (gst-launch-1.0 rtspsrc, a separate
// process) reads and decodes it, a viewer too slow for the stream that holds
// nothing up, and a port already taken refused in one line.

#include "support/child_process.h"
#include "support/replay_clip.h"
#include "support/script_environment.h"

#include "options.h"
#include "pipeline_description.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <opencv2/imgcodecs.hpp>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <regex>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using namespace wellmonitor::run;
using wellmonitor_test::ChildProcess;

namespace {

const std::string kSource = WELLMONITOR_SOURCE_DIR;
const std::string kRunner = wellmonitor_test::runner_path();
fs::path g_tmp;

[[maybe_unused]] const auto* const g_env =
    ::testing::AddGlobalTestEnvironment(new wellmonitor_test::ScriptEnvironment("restream", g_tmp));

ParseResult parse(const std::vector<std::string>& args) {
  const ParseEnvironment env{[](const char*) -> const char* { return nullptr; }, {kSource + "/pipelines"}};
  return parse_command_line(args, "x.sh", env);
}

const std::string kReplay = kSource + "/pipelines/demo/replay.mp4";

}  // namespace

TEST(RestreamOptions, APortAddsTheReStreamBranchAndTheScaleReachesTheOverlay) {
  const ParseResult r =
      parse({"rtsp", "--restream-port", "8554", "--overlay-scale", "1.5", "--no-display", "rtsp://10.0.0.21/s"});
  ASSERT_TRUE(r.options) << r.err;
  EXPECT_EQ(r.options->restream_port, 8554);
  EXPECT_EQ(r.options->restream_address, "127.0.0.1") << "loopback unless asked";
  const std::string d = downstream_description(*r.options, PipelinePlan());
  EXPECT_NE(d.find("welloverlay name=overlay scale=1.5 ! appsink name=wm_restream sync=false async=false "
                   "max-buffers=1 drop=true"),
            std::string::npos)
      << "the only branch: an appsink that never blocks\n"
      << d;
  EXPECT_EQ(d.find("fakesink"), std::string::npos) << "the re-stream takes the video: " << d;

  // beside another branch: a queue of its own that drops frames, live
  const ParseResult both = parse({"rtsp", "--restream-port", "8554", "--no-display", "--record", "/nonexistent/rec",
                                  "--dry-run", "rtsp://10.0.0.21/s"});
  ASSERT_TRUE(both.options) << both.err;
  const std::string d2 = downstream_description(*both.options, PipelinePlan());
  EXPECT_NE(d2.find("wm_tee. ! queue leaky=downstream max-size-buffers=2 max-size-bytes=0 max-size-time=0 ! appsink "
                    "name=wm_restream sync=false"),
            std::string::npos)
      << d2;

  const ParseResult plain = parse({"rtsp", "--no-display", "rtsp://10.0.0.21/s"});
  ASSERT_TRUE(plain.options);
  EXPECT_EQ(plain.options->restream_port, -1);
  EXPECT_EQ(downstream_description(*plain.options, PipelinePlan()).find("wm_restream"), std::string::npos);
}

TEST(RestreamOptions, AnyAddressIsAllowedWithANoteThatItHasNoPassword) {
  const ParseResult r = parse({"file", "--restream-port", "0", "--restream-address", "0.0.0.0", kReplay});
  ASSERT_TRUE(r.options) << r.err;
  EXPECT_EQ(r.options->restream_port, 0);
  EXPECT_EQ(r.options->restream_address, "0.0.0.0");
  ASSERT_FALSE(r.notes.empty());
  EXPECT_NE(r.notes.back().find("open to every host that reaches 0.0.0.0, without a password"), std::string::npos)
      << r.notes.back();
}

TEST(RestreamOptions, BadValuesAreOneLineWithStatusTwo) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--restream-port", "70000"},
       "x.sh: error: --restream-port must be a port number from 0 to 65535 (0: any free port), got '70000'\n"},
      {{"--restream-port", "http"},
       "x.sh: error: --restream-port must be a port number from 0 to 65535 (0: any free port), got 'http'\n"},
      {{"--restream-address", "0.0.0.0"}, "x.sh: error: --restream-address goes with --restream-port N\n"},
      {{"--overlay-scale", "0"}, "x.sh: error: --overlay-scale must be a number from 0.1 to 10, got '0'\n"},
      {{"--overlay-scale", "big"}, "x.sh: error: --overlay-scale must be a number from 0.1 to 10, got 'big'\n"},
  };
  for (const auto& [extra, err] : cases) {
    std::vector<std::string> args = {"file"};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(kReplay);
    const ParseResult r = parse(args);
    EXPECT_FALSE(r.options) << extra[0];
    EXPECT_EQ(r.exit_code, 2) << extra[0];
    EXPECT_EQ(r.err, err);
  }
}

namespace {

// gst-launch-1.0 reading the re-stream over RTSP (TCP) and decoding it; with
// `frames` > 0 the first `frames` decoded frames are written as PNGs into
// `dir` and it ends. It says "Setting pipeline to PLAYING" once connected.
bool start_viewer(ChildProcess& p, const std::string& url, int frames, const fs::path& dir) {
  std::vector<std::string> args = {"rtspsrc",    "location=" + url, "protocols=tcp", "latency=0", "!",
                                   "rtph264depay", "!",              "h264parse",     "!",         "avdec_h264", "!"};
  if (frames > 0) {
    fs::create_directories(dir);
    // identity's eos-after=N ends the stream on the N-th buffer, passing N - 1
    const std::vector<std::string> tail = {"identity", "eos-after=" + std::to_string(frames + 1), "!", "videoconvert", "!",
                                           "pngenc",   "!",  "multifilesink", "location=" + (dir / "frame-%02d.png").string()};
    args.insert(args.end(), tail.begin(), tail.end());
  } else {
    args.insert(args.end(), {"fakesink", "sync=false"});
  }
  return p.start("/usr/bin/gst-launch-1.0", args);
}

}  // namespace

namespace {

// The runner on the replay's first `frames` frames (12 a second; the r1w4
// spill from frame 46) at the file's pace, re-streaming; the URL it prints.
std::string start_runner(ChildProcess& runner, const std::vector<std::string>& env = {}, int frames = 120) {
  const std::string clip = wellmonitor_test::replay_clip(frames, g_tmp);
  if (clip.empty()) return "";
  if (!runner.start(kRunner,
                    {"file", "--no-display", "--threads", "1", "--camera", "table1", "--restream-port", "0", clip},
                    env))
    return "";
  const auto line = runner.wait_line("live view at rtsp://", 60000, true);
  std::smatch m;
  if (!line || !std::regex_search(line->text, m, std::regex(R"(rtsp://127\.0\.0\.1:[0-9]+/table1)"))) return "";
  return m.str(0);
}

}  // namespace

// The clip lasts 40 s so that a viewer slow to start on a busy machine still
// joins while it plays; once the viewer has its frames the runner is stopped
// as a service manager stops it.
TEST(Restream, AViewerDecodesTheAnnotatedView) {
  ChildProcess runner;
  const std::string url = start_runner(runner, {}, 480);
  ASSERT_FALSE(url.empty()) << runner.describe();

  // a screen's player: the frames arrive, decoded, at the stream's size,
  // with the overlay's status line along the bottom
  const fs::path frames = g_tmp / "viewer";
  ChildProcess viewer;
  ASSERT_TRUE(start_viewer(viewer, url, 6, frames));
  const auto viewed = viewer.wait_exit(60000);
  ASSERT_TRUE(viewed.has_value()) << "the viewer got no frames\n" << viewer.describe() << runner.describe();
  EXPECT_EQ(*viewed, 0) << viewer.describe();
  const cv::Mat frame = cv::imread((frames / "frame-05.png").string());
  ASSERT_FALSE(frame.empty()) << "no 6th frame";
  EXPECT_EQ(frame.cols, 1920);
  EXPECT_EQ(frame.rows, 1200);
  const cv::Scalar status = cv::mean(frame(cv::Rect(1500, 1165, 400, 30)));
  for (int c = 0; c < 3; ++c) EXPECT_NEAR(status[c], 40, 15) << "the status line's dark panel, channel " << c;

  ASSERT_TRUE(runner.signal(SIGTERM));
  const auto code = runner.wait_exit(60000);
  ASSERT_TRUE(code.has_value()) << runner.describe();
  EXPECT_EQ(*code, 0) << runner.describe();
}

// A viewer whose side takes 2 s a frame (its encoder made that slow): the
// monitor still plays the clip (20 s, so that the viewer joins while it plays
// even on a busy machine) at its pace to its end and its alarm. Were frames
// handed over blocking, what is left of the 240 frames would take minutes.
TEST(Restream, AViewerTooSlowForTheStreamHoldsNothingUp) {
  ChildProcess runner;
  const std::string url = start_runner(
      runner, {"WELLMONITOR_RESTREAM_ENCODER=identity sleep-time=2000000 ! x264enc tune=zerolatency "
               "speed-preset=ultrafast key-int-max=24"},
      240);
  ASSERT_FALSE(url.empty()) << runner.describe();
  ChildProcess viewer;
  ASSERT_TRUE(start_viewer(viewer, url, 0, {}));
  ASSERT_TRUE(viewer.wait_line("Setting pipeline to PLAYING", 60000)) << "not connected\n" << viewer.describe();

  const auto code = runner.wait_exit(120000);
  ASSERT_TRUE(code.has_value()) << "the runner is held up by its viewer\n" << runner.describe();
  EXPECT_EQ(*code, 0) << runner.describe();
  EXPECT_NE(runner.out().find("ALARM well=r1w4"), std::string::npos) << runner.describe();
}

TEST(Restream, APortAlreadyTakenIsRefusedInOneLine) {
  const std::string clip = wellmonitor_test::replay_clip(120, g_tmp);
  ASSERT_FALSE(clip.empty());
  const int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ASSERT_EQ(::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(s, 1), 0);
  ASSERT_EQ(::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len), 0);
  const std::string port = std::to_string(ntohs(a.sin_port));

  ChildProcess runner;
  ASSERT_TRUE(runner.start(kRunner, {"file", "--no-display", "--restream-port", port, clip}));
  const auto code = runner.wait_exit(60000);
  ::close(s);
  ASSERT_TRUE(code.has_value()) << runner.describe();
  EXPECT_EQ(*code, 2) << runner.describe();
  EXPECT_EQ(runner.err(), "wellmonitor-run: error: cannot serve the live view on 127.0.0.1:" + port +
                              " (the port is taken, or the address is not one of this machine's)\n");
}
