// wellmonitor-run's command line (the scripts' options), the pipeline it
// describes, and the camera names it makes.

#include "parse_environment.h"

#include "camera_id.h"
#include "options.h"
#include "pipeline_description.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

using namespace wellmonitor::run;
namespace fs = std::filesystem;

namespace {

const std::string& kPipelines = wellmonitor_test::kPipelinesDir;
const std::string kReplay = kPipelines + "/demo/replay.mp4";
using wellmonitor_test::Env;
using wellmonitor_test::parse;

std::string tmp_dir() {
  std::string t = "/tmp/wellmonitor-options-XXXXXX";
  return mkdtemp(t.data()) ? t : "";
}

}  // namespace

TEST(RunnerOptions, FileModeTakesOneReadableVideoAndTheSharedLayout) {
  const ParseResult r = parse({"file", "--fast", "--threads", "1", kReplay});
  ASSERT_TRUE(r.options) << r.err;
  EXPECT_EQ(r.options->mode, Mode::kFile);
  EXPECT_EQ(r.options->input, kReplay);
  EXPECT_TRUE(r.options->fast);
  EXPECT_EQ(r.options->threads, "1");
  EXPECT_EQ(fs::path(r.options->wells), fs::weakly_canonical(kPipelines + "/casting-table.wells.txt"));
  EXPECT_FALSE(is_live(r.options->mode));
}

TEST(RunnerOptions, TheColourMatrixOfAStreamThatDoesNotSayItIsAutoUnlessToldAlsoInAmericanSpelling) {
  EXPECT_EQ(parse({"file", kReplay}).options->colour_matrix, "auto");
  EXPECT_EQ(parse({"file", "--colour-matrix", "bt709", kReplay}).options->colour_matrix, "bt709");
  EXPECT_EQ(parse({"file", "--color-matrix", "bt601", kReplay}).options->colour_matrix, "bt601");
}

TEST(RunnerOptions, BadArgumentsAreOneLineNamingTheScriptWithStatusTwo) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"file"}, "x.sh: error: no video given (see --help)\n"},
      {{"file", kReplay, kReplay}, "x.sh: error: one video at a time ('" + kReplay + "' and '" + kReplay + "')\n"},
      {{"file", "/nonexistent.mp4"}, "x.sh: error: cannot read video '/nonexistent.mp4'\n"},
      {{"file", "--bogus", kReplay}, "x.sh: error: unknown option '--bogus' (see --help)\n"},
      {{"file", "--mqtt", "tcp://broker", kReplay}, "x.sh: error: --mqtt needs an mqtt:// or mqtts:// URL, got 'tcp://broker'\n"},
      {{"file", "--alarm-frames", "0", kReplay}, "x.sh: error: --alarm-frames must be a whole number >= 1, got '0'\n"},
      {{"file", "--device", "gpu", kReplay}, "x.sh: error: --device must be auto, cpu, cuda or cuda:N, got 'gpu'\n"},
      {{"file", "--colour-matrix", "bt2020", kReplay},
       "x.sh: error: --colour-matrix must be auto, bt601 or bt709, got 'bt2020'\n"},
      {{"rtsp", "http://cam/x"}, "x.sh: error: not an rtsp:// URL: 'http://cam/x'\n"},
      {{"rtsp", "--latency", "fast", "rtsp://cam/x"}, "x.sh: error: --latency must be a whole number of milliseconds\n"},
      {{"headless", kReplay, "out.avi"}, "x.sh: error: OUTPUT must end in .mp4, got 'out.avi'\n"},
      {{"headless", kReplay}, "x.sh: error: give INPUT and OUTPUT.mp4 (see --help)\n"},
      {{"camera", "extra"}, "x.sh: error: unexpected argument 'extra' (see --help)\n"},
      {{"live"}, "x.sh: error: no --source-pipeline DESC given (see --help)\n"},
      {{"rtsp", "--watchdog", "0", "rtsp://cam/x"}, "x.sh: error: --watchdog must be a number of seconds > 0, got '0'\n"},
      {{"rtsp", "--record-max-size", "lots", "rtsp://cam/x"},
       "x.sh: error: --record-max-size must be a size such as 500M or 10G, got 'lots'\n"},
      {{}, "x.sh: error: give a mode: file, rtsp, camera, headless, demo or live (see --help)\n"},
  };
  for (const auto& [args, err] : cases) {
    const ParseResult r = parse(args);
    EXPECT_FALSE(r.options) << err;
    EXPECT_EQ(r.exit_code, 2) << err;
    EXPECT_EQ(r.err, err);
  }
}

TEST(RunnerOptions, HelpIsTheScriptsHelpUnderTheScriptsName) {
  const ParseResult r = parse({"file", "--help"}, Env(), "file.sh");
  EXPECT_FALSE(r.options);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out.rfind("Usage: file.sh [options] VIDEO\n", 0), 0u) << r.out;
  for (const char* option : {"--fast", "--no-display", "--model", "--mqtt", "--camera", "--events", "--log",
                             "--record", "--watchdog", "--dry-run", "Example:\n  file.sh --build build"})
    EXPECT_NE(r.out.find(option), std::string::npos) << option;
  EXPECT_NE(parse({"rtsp", "-h"}).out.find("--latency MS"), std::string::npos);
  EXPECT_NE(parse({"--help"}).out.find("Modes:"), std::string::npos);
}

TEST(RunnerOptions, WithoutADisplayTheWindowIsDroppedAndSaidSo) {
  const ParseResult r = parse({"file", kReplay});
  ASSERT_TRUE(r.options);
  EXPECT_FALSE(r.options->display);
  ASSERT_EQ(r.notes.size(), 1u);
  EXPECT_EQ(r.notes[0], "x.sh: no display (DISPLAY and WAYLAND_DISPLAY are unset): running without a window");
  Env with_x;
  with_x.vars["DISPLAY"] = ":0";
  EXPECT_TRUE(parse({"file", kReplay}, with_x).options->display);
  EXPECT_FALSE(parse({"file", "--no-display", kReplay}, with_x).options->display);
}

TEST(RunnerOptions, RtspTakesLatencyTcpAndNamesTheCameraFromTheUrlWithoutCredentials) {
  const ParseResult r = parse({"rtsp", "--tcp", "--latency", "500", "rtsp://op:secret@10.0.0.21:554/stream1"});
  ASSERT_TRUE(r.options) << r.err;
  EXPECT_TRUE(r.options->tcp);
  EXPECT_EQ(r.options->latency_ms, 500);
  EXPECT_TRUE(is_live(r.options->mode));
  EXPECT_EQ(r.options->camera_name(), "10.0.0.21_554_stream1");
  EXPECT_EQ(parse({"rtsp", "--camera", "table1", "rtsp://h/x"}).options->camera_name(), "table1");
}

TEST(RunnerOptions, CameraTakesADeviceAlsoThroughTheOldCameraOption) {
  EXPECT_EQ(parse({"camera", "--dry-run"}).options->input, "/dev/video0");
  EXPECT_EQ(parse({"camera", "--dry-run", "--video-device", "/dev/video2"}).options->input, "/dev/video2");
  const ParseResult old = parse({"camera", "--dry-run", "--camera", "/dev/video3"});
  ASSERT_TRUE(old.options);
  EXPECT_EQ(old.options->input, "/dev/video3");
  EXPECT_EQ(old.options->camera, "");
  EXPECT_EQ(old.options->camera_name(), "video3");
  const ParseResult missing = parse({"camera", "--video-device", "/dev/no-such-video"});
  EXPECT_EQ(missing.err, "x.sh: error: no camera at '/dev/no-such-video' (see v4l2-ctl --list-devices)\n");
}

TEST(RunnerOptions, HeadlessWritesItsLogBesideTheOutputWithoutAWindow) {
  const std::string dir = tmp_dir();
  const ParseResult r = parse({"headless", kReplay, dir + "/sub/out.mp4"});
  ASSERT_TRUE(r.options) << r.err;
  EXPECT_EQ(r.options->output, dir + "/sub/out.mp4");
  EXPECT_EQ(r.options->log, dir + "/sub/out.alarms.log");
  EXPECT_TRUE(fs::is_directory(dir + "/sub"));
  EXPECT_FALSE(r.options->display);
  EXPECT_TRUE(r.options->fast);
  fs::remove_all(dir);
}

TEST(RunnerOptions, TheDemoFindsItsReplayAndGroundTruthAndAlarmsAfterFiveFrames) {
  const std::string dir = tmp_dir();
  const ParseResult r = parse({"demo", "--out-dir", dir});
  ASSERT_TRUE(r.options) << r.err;
  EXPECT_EQ(fs::path(r.options->input), fs::weakly_canonical(kReplay));
  EXPECT_EQ(fs::path(r.options->truth), fs::weakly_canonical(kPipelines + "/demo/replay.truth.csv"));
  EXPECT_EQ(r.options->alarm_frames, "5");
  EXPECT_EQ(r.options->output, dir + "/demo-annotated.mp4");
  EXPECT_EQ(r.options->log, dir + "/demo-alarms.log");
  EXPECT_EQ(r.options->summary, dir + "/demo-summary.txt");
  EXPECT_EQ(parse({"demo", "--out-dir", dir, "--alarm-frames", "3"}).options->alarm_frames, "3");
  fs::remove_all(dir);
}

TEST(RunnerOptions, ShadowModeLeavesThePublishersOutRecordsIntoItsFolderAndSaysSo) {
  const std::string dir = tmp_dir();
  const ParseResult r = parse({"file", "--camera", "table1", "--mqtt", "mqtt://op:pw@broker:1883", "--events",
                               dir + "/ev.jsonl", "--shadow", dir, kReplay});
  ASSERT_TRUE(r.options) << r.err;
  EXPECT_TRUE(r.options->mqtt.empty());
  EXPECT_TRUE(r.options->events.empty());
  EXPECT_TRUE(r.options->spool.empty());
  EXPECT_FALSE(r.options->publishing());
  EXPECT_EQ(r.options->record_dir, dir + "/recording");
  EXPECT_EQ(r.options->record_segment_s, 3);
  for (const char* sub : {"crops", "snapshots", "clips", "runs"}) EXPECT_TRUE(fs::is_directory(dir + "/" + sub)) << sub;
  const std::string description = downstream_description(*r.options, PipelinePlan{});
  EXPECT_EQ(description.find("wellpublish"), std::string::npos) << description;
  const auto shadow_note = std::find_if(r.notes.begin(), r.notes.end(),
                                       [](const std::string& n) { return n.rfind("x.sh: SHADOW MODE", 0) == 0; });
  ASSERT_NE(shadow_note, r.notes.end());
  for (const auto& n : r.notes) EXPECT_EQ(n.find("publishing alarms"), std::string::npos) << n;
  EXPECT_EQ(*shadow_note, "x.sh: SHADOW MODE: no alarm is sent (--mqtt mqtt://broker:1883 not used) (--events " + dir +
                            "/ev.jsonl not used); each alarm it would raise is kept in " + dir +
                            " for review (wellmonitor-run shadow-report " + dir + ")");
  // a recording of its own and its segment length are kept
  const ParseResult own = parse({"file", "--shadow", dir, "--record", dir + "/rec", "--record-segment", "10", kReplay});
  ASSERT_TRUE(own.options) << own.err;
  EXPECT_EQ(own.options->record_dir, dir + "/rec");
  EXPECT_EQ(own.options->record_segment_s, 10);
  // a missing folder is one line, and is not made
  const ParseResult missing = parse({"file", "--shadow", dir + "/nope", kReplay});
  EXPECT_FALSE(missing.options);
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_EQ(missing.err, "x.sh: error: the shadow folder '" + dir + "/nope' does not exist (create it first)\n");
  EXPECT_FALSE(fs::exists(dir + "/nope"));
  fs::remove_all(dir);
}

TEST(RunnerOptions, RecordingAndSupervisionOptionsTakeSizesAndDurations) {
  const std::string dir = tmp_dir();
  const ParseResult r =
      parse({"rtsp", "--record", dir + "/rec", "--record-segment", "10", "--record-max-size", "2G", "--record-max-age",
             "7d", "--record-keep-free", "500M", "--watchdog", "2.5", "--stop-timeout", "4", "rtsp://h/x"});
  ASSERT_TRUE(r.options) << r.err;
  EXPECT_EQ(r.options->record_dir, dir + "/rec");
  EXPECT_TRUE(fs::is_directory(dir + "/rec"));
  EXPECT_EQ(r.options->record_segment_s, 10);
  EXPECT_EQ(r.options->record_max_bytes, 2ull << 30);
  EXPECT_EQ(r.options->record_max_age_s, 7 * 86400);
  EXPECT_EQ(r.options->record_keep_free_bytes, 500ull << 20);
  EXPECT_EQ(r.options->watchdog_s, 2.5);
  EXPECT_EQ(r.options->stop_timeout_s, 4);
  EXPECT_EQ(r.options->state_dir, "/home/op/.local/state/wellmonitor");
  fs::remove_all(dir);
}

TEST(RunnerOptions, SizesAndDurationsReadTheUsualSuffixes) {
  EXPECT_EQ(parse_size("1048576"), 1048576u);
  EXPECT_EQ(parse_size("64k"), 65536u);
  EXPECT_EQ(parse_size("1.5G"), 1610612736u);
  EXPECT_EQ(parse_size("10GB"), 10ull << 30);
  EXPECT_EQ(parse_size("0"), 0u);
  EXPECT_FALSE(parse_size("-1"));
  EXPECT_FALSE(parse_size("G"));
  EXPECT_EQ(parse_duration("45"), 45);
  EXPECT_EQ(parse_duration("90m"), 5400);
  EXPECT_EQ(parse_duration("12h"), 43200);
  EXPECT_EQ(parse_duration("2w"), 1209600);
  EXPECT_FALSE(parse_duration("soon"));
}

TEST(PipelineDescription, EverySourceIsFollowedByDecodebinAndTheMonitor) {
  RunOptions o;
  o.mode = Mode::kRtsp;
  o.input = "rtsp://10.0.0.21/s";
  o.tcp = true;
  o.wells = "/l/w.txt";
  o.display = false;
  EXPECT_EQ(source_description(o), "rtspsrc location=\"rtsp://10.0.0.21/s\" latency=200 protocols=tcp");
  EXPECT_EQ(launch_description(o, PipelinePlan()),
            "rtspsrc location=\"rtsp://10.0.0.21/s\" latency=200 protocols=tcp ! decodebin name=wm_decode ! "
            "videoconvert name=wm_in ! wellmonitor name=monitor wells=\"/l/w.txt\" ! fakesink sync=false");
  o.mode = Mode::kCamera;
  o.input = "/dev/video2";
  o.caps = "image/jpeg,width=1920,height=1080";
  EXPECT_EQ(source_description(o), "v4l2src device=\"/dev/video2\" ! image/jpeg,width=1920,height=1080");
  o.mode = Mode::kFile;
  o.input = "my \"best\" clip.mp4";
  EXPECT_EQ(source_description(o), "filesrc location=\"my \\\"best\\\" clip.mp4\"");
}

TEST(RunnerOptions, ReferenceFrameAndStretchReachTheMonitor) {
  const std::string frame = std::string(WELLMONITOR_SOURCE_DIR) + "/tests/fixtures/casting-table-960x600.jpg";
  ParseResult r = parse({"file", "--reference-frame", frame, "--stretch", kReplay});
  ASSERT_TRUE(r.options) << r.err;
  EXPECT_EQ(r.options->reference_frame, frame);
  EXPECT_TRUE(r.options->stretch);
  RunOptions o = *r.options;
  o.display = false;
  const std::string launch = launch_description(o, PipelinePlan());
  EXPECT_NE(launch.find("wellmonitor name=monitor wells=\"" + o.wells + "\" reference-frame=\"" + frame +
                        "\" stretch=true"),
            std::string::npos)
      << launch;
  // unset, the element's defaults stand
  r = parse({"file", kReplay});
  ASSERT_TRUE(r.options);
  const std::string plain = launch_description(*r.options, PipelinePlan());
  EXPECT_EQ(plain.find("reference-frame"), std::string::npos) << plain;
  EXPECT_EQ(plain.find("stretch"), std::string::npos) << plain;
  // a reference frame that cannot be read: one line, status 2
  r = parse({"file", "--reference-frame", "/no/such/table.png", kReplay});
  EXPECT_FALSE(r.options);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "x.sh: error: cannot read reference frame '/no/such/table.png'\n");
  EXPECT_NE(help_text(Mode::kRtsp, "rtsp.sh").find("--reference-frame F"), std::string::npos);
  EXPECT_NE(help_text(Mode::kFile, "file.sh").find("--stretch"), std::string::npos);
}

TEST(PipelineDescription, PublishersSeeTheFrameBeforeTheOverlayAndEachOutputHasItsBranch) {
  RunOptions o;
  o.mode = Mode::kFile;
  o.wells = "w.txt";
  o.threshold = "0.4";
  o.mqtt = "mqtt://broker:1883";
  o.camera = "cam 7";
  o.events = "ev.jsonl";
  o.display = true;
  o.record_dir = "/rec";
  o.record_segment_s = 30;
  const std::string d = downstream_description(o, PipelinePlan());
  EXPECT_NE(d.find("wellmonitor name=monitor wells=\"w.txt\" threshold=0.4 ! "
                   "wellpublish name=publish method=mqtt address=\"mqtt://broker:1883\" camera=\"cam 7\" ! "
                   "wellpublish name=events method=file address=\"ev.jsonl\" camera=\"cam 7\" ! "
                   "welloverlay name=overlay ! tee name=wm_tee ! queue ! videoconvert ! autovideosink sync=true"),
            std::string::npos)
      << d;
  EXPECT_NE(d.find("wm_tee. ! queue ! videoconvert ! video/x-raw,format=I420 ! x264enc speed-preset=ultrafast "
                   "tune=zerolatency key-int-max=12 ! h264parse ! splitmuxsink name=wm_record muxer-factory=mpegtsmux "
                   "max-size-time=30000000000 send-keyframe-requests=true location=\"/rec/cam_7-%05d.ts\""),
            std::string::npos)
      << d;
  // live: the window and the recording drop frames rather than hold up the monitor
  o.mode = Mode::kLive;
  const std::string live = downstream_description(o, PipelinePlan());
  EXPECT_NE(live.find("queue leaky=downstream max-size-buffers=2 ! videoconvert ! autovideosink sync=false"),
            std::string::npos)
      << live;
  EXPECT_NE(live.find("queue leaky=downstream max-size-buffers=0 max-size-bytes=0 max-size-time=2000000000"),
            std::string::npos)
      << live;
}

// A file played at its own pace (no --fast) whose only branches write files
// (a recording, shadow mode) still waits for each frame's time: a sink that
// syncs beside them. With --fast, a window or live, none is added.
TEST(PipelineDescription, AFileAtItsPaceWithOnlyARecordingStillKeepsThePace) {
  RunOptions o;
  o.mode = Mode::kFile;
  o.wells = "w.txt";
  o.display = false;
  o.record_dir = "/srv/rec";
  const std::string paced = downstream_description(o, PipelinePlan());
  EXPECT_NE(paced.find("splitmuxsink"), std::string::npos) << paced;
  EXPECT_NE(paced.find("wm_tee. ! queue ! fakesink sync=true"), std::string::npos) << paced;
  o.fast = true;
  EXPECT_EQ(downstream_description(o, PipelinePlan()).find("fakesink"), std::string::npos);
  o.fast = false;
  o.display = true;
  EXPECT_EQ(downstream_description(o, PipelinePlan()).find("fakesink"), std::string::npos) << "the window keeps it";
  o.display = false;
  o.mode = Mode::kLive;
  EXPECT_EQ(downstream_description(o, PipelinePlan()).find("fakesink"), std::string::npos) << "a camera keeps it";
  // the demo without a window writes its annotated video as fast as it can
  RunOptions demo;
  demo.mode = Mode::kDemo;
  demo.wells = "w.txt";
  demo.display = false;
  demo.output = "out/demo-annotated.mp4";
  EXPECT_EQ(downstream_description(demo, PipelinePlan()).find("fakesink"), std::string::npos)
      << downstream_description(demo, PipelinePlan());
}

TEST(PipelineDescription, TheAnnotatedMp4IsFragmentedSoACrashLeavesItPlayable) {
  RunOptions o;
  o.mode = Mode::kHeadless;
  o.wells = "w.txt";
  o.display = false;
  o.fast = true;  // as headless always is
  o.output = "out.mp4";
  EXPECT_EQ(downstream_description(o, PipelinePlan()),
            "videoconvert name=wm_in ! wellmonitor name=monitor wells=\"w.txt\" ! welloverlay name=overlay ! "
            "videoconvert ! video/x-raw,format=I420 ! x264enc speed-preset=veryfast ! h264parse ! "
            "mp4mux fragment-duration=1000 ! filesink location=\"out.mp4\"");
}

TEST(CameraNames, CredentialsNeverReachANameAndNamesAreSafeFileNames) {
  EXPECT_EQ(without_credentials("rtsp://op:pw@10.0.0.21:554/s"), "rtsp://10.0.0.21:554/s");
  EXPECT_EQ(without_credentials("mqtt://u:p@broker"), "mqtt://broker");
  EXPECT_EQ(without_credentials("rtsp://10.0.0.21/a@b"), "rtsp://10.0.0.21/a@b");
  EXPECT_EQ(default_camera_name("rtsp://op:pw@10.0.0.21:554/stream1/"), "10.0.0.21_554_stream1");
  EXPECT_EQ(default_camera_name("/dev/video2"), "video2");
  EXPECT_EQ(safe_file_stem("line 2/cam:3"), "line_2_cam_3");
  EXPECT_EQ(safe_file_stem(""), "_");
}

TEST(RunnerOptions, TheMqttPublisherSpoolsInTheCamerasFolderUnlessToldOtherwise) {
  Env env;
  env.vars["XDG_STATE_HOME"] = "/var/tmp/st";
  ParseResult r = parse({"file", "--mqtt", "mqtt://b:1883", "--camera", "table 1", kReplay}, env);
  ASSERT_TRUE(r.options) << r.err;
  EXPECT_EQ(r.options->spool, "/var/tmp/st/wellmonitor/table_1/spool");
  r = parse({"rtsp", "--mqtt", "mqtt://b:1883", "--state-dir", "/srv/wm", "rtsp://10.0.0.21:554/s1"}, env);
  ASSERT_TRUE(r.options) << r.err;
  EXPECT_EQ(r.options->spool, "/srv/wm/10.0.0.21_554_s1/spool") << "the camera's name where --camera is not given";
  r = parse({"file", "--mqtt", "mqtt://b:1883", "--spool", "none", kReplay}, env);
  ASSERT_TRUE(r.options) << r.err;
  EXPECT_EQ(r.options->spool, "none");
  EXPECT_NE(downstream_description(*r.options, PipelinePlan()).find(
                "wellpublish name=publish method=mqtt address=\"mqtt://b:1883\" spool=\"none\""),
            std::string::npos);
  r = parse({"file", "--events", "e.jsonl", kReplay}, env);
  ASSERT_TRUE(r.options) << r.err;
  EXPECT_TRUE(r.options->spool.empty()) << "the events file is on local disk already";
  EXPECT_EQ(downstream_description(*r.options, PipelinePlan()).find("spool="), std::string::npos);
  r = parse({"file", "--spool", "/x", kReplay}, env);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "x.sh: error: --spool goes with --mqtt URL\n");
}
