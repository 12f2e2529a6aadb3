#include "options.h"

#include "camera_id.h"
#include "camera_lock.h"
#include "config_file.h"
#include "service_options.h"
#include "shadow.h"

#include <CLI/CLI.hpp>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <regex>
#include <system_error>

namespace wellmonitor::run {

namespace fs = std::filesystem;

const char* mode_name(Mode mode) {
  switch (mode) {
    case Mode::kFile:
      return "file";
    case Mode::kRtsp:
      return "rtsp";
    case Mode::kCamera:
      return "camera";
    case Mode::kHeadless:
      return "headless";
    case Mode::kDemo:
      return "demo";
    case Mode::kLive:
      return "live";
  }
  return "?";
}

bool is_live(Mode mode) { return mode == Mode::kRtsp || mode == Mode::kCamera || mode == Mode::kLive; }

std::string RunOptions::camera_name() const {
  if (!camera.empty()) return camera;
  if (is_live(mode)) return default_camera_name(input);
  return "camera";
}

std::optional<uint64_t> parse_size(const std::string& text) {
  static const std::regex re(R"(^\s*([0-9]+(?:\.[0-9]+)?)\s*([kKmMgGtT]?)(?:i?[bB])?\s*$)");
  std::smatch m;
  if (!std::regex_match(text, m, re)) return std::nullopt;
  double v = std::stod(m[1]);
  const std::string unit = m[2];
  const std::string units = "kmgt";
  if (!unit.empty()) v *= std::pow(1024.0, static_cast<double>(units.find(static_cast<char>(std::tolower(unit[0]))) + 1));
  if (v > 1.8e19) return std::nullopt;
  return static_cast<uint64_t>(v);
}

std::optional<int64_t> parse_duration(const std::string& text) {
  static const std::regex re(R"(^\s*([0-9]+(?:\.[0-9]+)?)\s*([smhdw]?)\s*$)");
  std::smatch m;
  if (!std::regex_match(text, m, re)) return std::nullopt;
  double v = std::stod(m[1]);
  switch (m[2].length() ? m[2].str()[0] : 's') {
    case 'm':
      v *= 60;
      break;
    case 'h':
      v *= 3600;
      break;
    case 'd':
      v *= 86400;
      break;
    case 'w':
      v *= 7 * 86400;
      break;
    default:
      break;
  }
  if (v > 9e15) return std::nullopt;
  return static_cast<int64_t>(std::llround(v));
}

// ------------------------------------------------------------------ help texts

namespace {

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) s.replace(at, from.size(), to);
  return s;
}

const char* const kCommonHelp = R"(Monitor options (unset ones keep the element's defaults):
  --model FILE          model file (default: the installed default model)
  --wells FILE          well layout (default: casting-table.wells.txt shipped with the scripts)
  --threshold X         override the model's calibrated threshold
  --device D            auto | cpu | cuda | cuda:N (element default: auto)
  --alarm-frames N      analysed frames over the threshold before an alarm (element default 5)
  --clear-frames N      analysed frames under it before the alarm clears (element default 5)
  --interval N          analyse every N-th frame (element default 1)
  --threads N           CPU threads for inference (element default: LibTorch's)
  --reference-frame F   picture (PNG, JPEG) of the table as the layout was drawn on it: turns on
                        the camera-moved and camera-obscured checks of the monitor
  --stretch             accept a stream whose shape (aspect ratio) differs from the layout's,
                        stretching the boxes; without it such a stream is refused with one line
  --colour-matrix M     how to read an H.264/H.265 stream that does not say its colour matrix
                        (many cameras do not): auto (default: BT.601, as the model's training
                        crops were read), bt601 or bt709 (GStreamer's own guess over 576 lines).
                        A matrix the stream says is always used. A line at the start tells which
                        (docs/runner.md); --color-matrix is the same option
Publishing (element wellpublish, after wellmonitor):
  --mqtt URL            publish each alarm and clear as a JSON event with a snapshot of the
                        well to the MQTT broker at URL: mqtt://[user[:password]@]host[:port]
                        (mqtts:// for TLS); topics wellmonitor/CAMERA/events/WELL, camera events
                        on wellmonitor/CAMERA/camera, availability on wellmonitor/CAMERA/status
                        (docs/mqtt.md; schemas: pipelines/schemas/)
  --camera ID           the camera's id in the events and topics (default: camera), in the
                        CAMERA LOST/BACK lines and in the lock (default there: made from the source)
  --events FILE         also append every event to FILE, one JSON object per line
  --frame-dir DIR       also save each event's whole frame as a JPEG in DIR (its path in the event)
  --spool DIR           alarms and clears the broker has not taken wait on disk in DIR, across
                        stops, kills and reboots, and the next start sends them first (default:
                        the camera's folder under --state-dir, CAMERA/spool; none: in memory only)
Shadow mode (commissioning: docs/commissioning.md):
  --shadow DIR          send no alarm (no MQTT, no events file: those options are ignored;
                        the lines read SHADOW ALARM / SHADOW CLEAR) and keep in DIR, for each
                        alarm it would have raised, the well's crop, the frame with the well
                        marked and a clip of the recording around it (the recording goes to
                        DIR/recording unless --record DIR, in segments of 3 s unless
                        --record-segment S); then: wellmonitor-run shadow-report DIR
Recording (the annotated video, as MPEG-TS segments that stay playable after a crash):
  --record DIR          write segments CAMERA-YYYYmmdd-HHMMSS-NNNN.ts into DIR
  --record-segment S    seconds per segment (default 60)
  --record-max-size SZ  remove the camera's oldest segments beyond this total (default 10G;
                        0: no bound; K, M, G, T suffixes)
  --record-max-age D    remove segments older than D (e.g. 7d, 12h; default: no bound)
  --record-keep-free SZ remove the oldest segments while the disk has less free (default 1G)
Live view (the annotated video, for control-room screens and recorders):
  --overlay-scale X     the overlay's text, lines and insets X times their size (default 1:
                        the alarm banner's capitals 6.4% of the picture's height; 0.1-10)
  --restream-port N     also serve the annotated video over RTSP (H.264) at
                        rtsp://127.0.0.1:N/CAMERA (0: any free port; the URL is printed); a slow
                        or absent viewer never holds up the monitor
  --restream-address A  listen on A instead of 127.0.0.1 (0.0.0.0: every interface; RTSP
                        has no password here: keep it to a trusted network)
Supervision (live sources: a camera that drops is reconnected, for as long as it takes):
  --watchdog S          seconds without a frame before the camera counts as lost (default 5)
  --start-timeout S     seconds a (re)connected source has for its first frame (default 10)
  --stop-timeout S      at SIGTERM/SIGINT, seconds the end of the stream gets to go through
                        the pipeline before it is stopped anyway (default 10)
  --state-dir DIR       where the per-camera lock, spool and shelved wells live (default:
                        $STATE_DIRECTORY, else $XDG_STATE_HOME/wellmonitor, else
                        ~/.local/state/wellmonitor)
Other options:
  --build DIR           use the plugin built in DIR/plugin (default: $WELLMONITOR_BUILD,
                        else the build tree the program runs from, else the installed one)
  --log FILE            also write one line per alarm/clear to FILE (appended to for a live
                        source, truncated for a file)
  --dry-run             print the equivalent gst-launch-1.0 command instead of running it
  -h, --help            this help
Lines (on stdout, flushed at once, and in --log):
  ALARM well=r3w11 time=12.417s frame=149 score=0.0813 threshold=0.0520
  CLEAR well=r3w11 time=16.083s frame=193 score=0.0411 threshold=0.0520
  CAMERA LOST camera=table1 reason=no-frames      (reason: no-frames, error or eos)
  CAMERA BACK camera=table1 after=12.4s
  time is the frame's stream time (position in a file), frame its index.
Stopping: SIGTERM or SIGINT (Ctrl-C) ends the stream cleanly (open alarms closed, the
recording finished, queued events delivered); a second one stops at once.
Exit status: 0 a file played to its end or a requested stop; 1 an error; 2 bad options;
3 events left undelivered; 4 the camera is monitored by another process; 5 the stop
did not complete in time; 128+N stopped at once by a second signal N.
)";

const char* const kNoDisplay = R"(  --no-display          no window (fakesink): alarms only (the default when
                        neither DISPLAY nor WAYLAND_DISPLAY is set)
)";

}  // namespace

std::string help_text(Mode mode, const std::string& name) {
  std::string head, example;
  switch (mode) {
    case Mode::kFile:
      head = R"(Usage: NAME [options] VIDEO

Plays VIDEO (mp4, mkv, avi, ...: anything decodebin reads) through the spill
monitor and shows it with every well's box; alarms are printed as they happen.

  filesrc ! decodebin ! videoconvert ! wellmonitor ! welloverlay ! videoconvert ! autovideosink

Options:
  --fast                decode as fast as possible instead of at the video's own pace
)" + std::string(kNoDisplay);
      example = "  NAME --build build pipelines/demo/replay.mp4\n";
      break;
    case Mode::kRtsp:
      head = R"(Usage: NAME [options] rtsp://[user:password@]host[:port]/path

Monitors an RTSP stream live and shows it with every well's box; alarms are
printed as they happen. One pipeline per camera: run one script per camera.
A camera that drops, freezes or is not up yet is waited for and reconnected.

  rtspsrc ! decodebin ! videoconvert ! wellmonitor ! welloverlay ! videoconvert ! autovideosink

Options:
  --latency MS          jitter buffer in milliseconds (default 200)
  --tcp                 RTP over TCP (through firewalls/NAT; default: rtspsrc chooses)
)" + std::string(kNoDisplay);
      example = "  NAME --tcp --no-display --log /var/log/wellmonitor/cam-c.log rtsp://10.0.0.21:554/stream1\n";
      break;
    case Mode::kCamera:
      head = R"(Usage: NAME [options]

Monitors a V4L2 camera live and shows it with every well's box; alarms are
printed as they happen. The layout's boxes scale to the camera's resolution, so
the camera must frame the table as the layout's reference frame does. A camera
that stops sending frames is reopened.

  v4l2src ! [caps] ! decodebin ! videoconvert ! wellmonitor ! welloverlay ! videoconvert ! autovideosink

Options:
  --video-device DEV    V4L2 device (default /dev/video0; --camera /dev/... also
                        works, as before: --camera ID otherwise names the camera
                        in published events)
  --caps CAPS           caps to ask the camera for, e.g.
                        'video/x-raw,width=1920,height=1200,framerate=15/1'
                        or 'image/jpeg,width=1920,height=1200' (then decoded); a stream
                        of another shape than the layout's is refused unless --stretch
)" + std::string(kNoDisplay);
      example = "  NAME --video-device /dev/video2 --caps 'video/x-raw,width=1280,height=800' --log alarms.log\n";
      break;
    case Mode::kHeadless:
      head = R"(Usage: NAME [options] INPUT OUTPUT.mp4

Runs INPUT (anything decodebin reads) through the spill monitor as fast as the
machine allows, writes the annotated video (every well's box, alarms in red) to
OUTPUT.mp4 and one line per alarm and clear to the alarm log.

  filesrc ! decodebin ! videoconvert ! wellmonitor ! welloverlay ! videoconvert
          ! H.264 encoder ! mp4mux ! filesink

The alarm log comes from the bus, line by line as the messages arrive:
  ALARM well=r3w11 time=12.417s frame=149 score=0.0813 threshold=0.0520

Encoder: x264enc (gstreamer1.0-plugins-ugly) when installed, else openh264enc
(gstreamer1.0-plugins-bad), else avenc_mpeg4 (gstreamer1.0-libav, MPEG-4 part 2);
WELLMONITOR_ENCODER overrides, e.g. WELLMONITOR_ENCODER='openh264enc bitrate=8000000 ! h264parse'.
The MP4 is written in fragments of one second: stopped by a crash it still plays
up to its last fragment.

Options:
  --log FILE            alarm log (default: OUTPUT with .alarms.log for .mp4)
)";
      example = "  NAME --build build pipelines/demo/replay.mp4 out/replay-annotated.mp4\n";
      break;
    case Mode::kDemo:
      head = R"(Usage: NAME [options]

Runs the demo replay (pipelines/demo/replay.mp4: the real frame with real crops
and five real spill sequences, see make-demo-replay.sh) through the monitor:
writes OUT/demo-annotated.mp4 and OUT/demo-alarms.log, shows the annotated video
in a window when a display is available ($DISPLAY or $WAYLAND_DISPLAY), and at
the end compares the alarms with the replay's ground truth (replay.truth.csv)
and writes the comparison to OUT/demo-summary.txt too.

  filesrc ! decodebin ! videoconvert ! wellmonitor ! welloverlay ! tee
     tee. ! queue ! videoconvert ! H.264 encoder ! mp4mux ! filesink
     tee. ! queue ! videoconvert ! autovideosink        (with a display)

Options:
  --input VIDEO         another replay (default: demo/replay.mp4 next to this script;
                        its ground truth is VIDEO with .truth.csv instead of .mp4)
  --out-dir DIR         where the results go (default: ./out)
  --no-display          no window even with a display
  --fast                with a window: do not play at the video's pace
  (the demo raises an alarm after 5 analysed frames over the threshold, one more
  than the replay shows a normal crop; --alarm-frames N overrides it)
  --slack N             frames an alarm may come after a spill's last frame and still
                        count as detecting it (default 12, one second at 12 fps)
)";
      break;
    case Mode::kLive:
      head = R"(Usage: NAME [options] --source-pipeline DESC

Monitors a live source given as a gst-launch-1.0 description (anything decodebin
can decode comes after it), supervised as a camera: a source that errors, ends
or stops sending frames is torn down and built again.

  DESC ! decodebin ! videoconvert ! wellmonitor ! welloverlay ! videoconvert ! autovideosink

Options:
  --source-pipeline DESC  the source, e.g. 'udpsrc port=5000 caps="application/x-rtp,
                        media=video,encoding-name=H264,payload=96" ! rtph264depay'
)" + std::string(kNoDisplay);
      example =
          "  NAME --no-display --camera test --source-pipeline 'videotestsrc is-live=true ! "
          "video/x-raw,width=960,height=600'\n";
      break;
  }
  std::string text = head + kCommonHelp + kServiceHelp;
  if (!example.empty()) text += "\nExample:\n" + example;
  return replace_all(text, "NAME", name);
}

std::string top_help_text(const std::string& name) {
  return replace_all(R"(Usage: NAME MODE [options] ...

Runs the spill monitor's pipeline for one camera or video: builds it, watches
its bus, supervises and reconnects a live source, stops cleanly on SIGTERM and
SIGINT, prints the alarm lines and sets the exit status. The pipeline scripts
(pipelines/*.sh) run it; `NAME MODE --help` tells each mode's options.

Modes:
  file VIDEO                 a recorded video, shown at its pace (file.sh)
  rtsp URL                   an IP camera over RTSP (rtsp.sh)
  camera                     a V4L2 camera (camera.sh)
  headless INPUT OUTPUT.mp4  a video in, the annotated MP4 and an alarm log out (headless.sh)
  demo                       the demo replay, checked against its ground truth (demo.sh)
  live --source-pipeline D   any live source given as a gst-launch description

  --config FILE              the command line (mode included) read from FILE: the
                             service's /etc/wellmonitor/CAMERA.conf (docs/service.md)

  shadow-report DIR          the acceptance report of a run with --shadow DIR
                             (NAME shadow-report --help; docs/commissioning.md)
)",
                     "NAME", name);
}

// ------------------------------------------------------------------- parsing

namespace {

bool is_uint(const std::string& s) { return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos; }

bool is_number(const std::string& s) {
  static const std::regex re(R"(^[0-9]*\.?[0-9]+([eE][-+]?[0-9]+)?$)");
  return std::regex_match(s, re);
}

bool readable(const std::string& path) { return ::access(path.c_str(), R_OK) == 0 && !fs::is_directory(path); }

class Checker {
 public:
  explicit Checker(ParseResult& r, const std::string& name) : r_(r), name_(name) {}
  // Records the first error only, as the scripts stopped at their first.
  bool fail(const std::string& message) {
    if (r_.err.empty()) r_.err = name_ + ": error: " + message + "\n";
    r_.exit_code = 2;
    return false;
  }
  bool ok() const { return r_.err.empty(); }

 private:
  ParseResult& r_;
  std::string name_;
};

struct RawOptions {
  bool help = false, no_display = false;
  std::string latency = "200", slack = "12";
  std::string record_segment;  // empty: 60 s (shadow mode: kShadowSegmentS)
  std::string record_max_size = "10G", record_max_age = "0", record_keep_free = "1G";
  std::string watchdog = "5", start_timeout = "10", stop_timeout = "10";
  std::string input_option, out_dir = "out", video_device;
  std::string restream_port, restream_address;
};

void add_common(CLI::App* app, RunOptions& o, RawOptions& raw) {
  app->set_help_flag();
  app->add_flag("-h,--help", raw.help);
  app->allow_extras();
  app->add_option("--model", o.model);
  app->add_option("--wells", o.wells);
  app->add_option("--threshold", o.threshold);
  app->add_option("--device", o.device);
  app->add_option("--alarm-frames", o.alarm_frames);
  app->add_option("--clear-frames", o.clear_frames);
  app->add_option("--interval", o.interval);
  app->add_option("--threads", o.threads);
  app->add_option("--reference-frame", o.reference_frame);
  app->add_flag("--stretch", o.stretch);
  app->add_option("--colour-matrix,--color-matrix", o.colour_matrix);
  app->add_option("--mqtt", o.mqtt);
  app->add_option("--camera", o.camera);
  app->add_option("--events", o.events);
  app->add_option("--frame-dir", o.frame_dir);
  app->add_option("--spool", o.spool);
  app->add_option("--log", o.log);
  app->add_option("--build", o.build);
  app->add_flag("--dry-run", o.dry_run);
  app->add_option("--record", o.record_dir);
  app->add_option("--shadow", o.shadow_dir);
  app->add_option("--record-segment", raw.record_segment);
  app->add_option("--record-max-size", raw.record_max_size);
  app->add_option("--record-max-age", raw.record_max_age);
  app->add_option("--record-keep-free", raw.record_keep_free);
  app->add_option("--watchdog", raw.watchdog);
  app->add_option("--start-timeout", raw.start_timeout);
  app->add_option("--stop-timeout", raw.stop_timeout);
  app->add_option("--state-dir", o.state_dir);
  app->add_option("--overlay-scale", o.overlay_scale);
  app->add_option("--restream-port", raw.restream_port);
  app->add_option("--restream-address", raw.restream_address);
  // the scripts' folder: the layout and the demo replay beside them
  app->add_option("--pipelines-dir", o.pipelines_dir)->group("");
}

std::string first_existing(const std::vector<std::string>& dirs, const std::string& rel) {
  for (const auto& d : dirs) {
    if (d.empty()) continue;
    const fs::path p = fs::path(d) / rel;
    if (readable(p.string())) return fs::weakly_canonical(p).string();
  }
  return "";
}

// The scripts' folder when they gave it, then the ones the program knows.
std::vector<std::string> pipelines_dirs(const RunOptions& o, const ParseEnvironment& env) {
  std::vector<std::string> dirs;
  if (!o.pipelines_dir.empty()) dirs.push_back(o.pipelines_dir);
  dirs.insert(dirs.end(), env.pipelines_dirs.begin(), env.pipelines_dirs.end());
  return dirs;
}

bool make_parent(const std::string& path) {
  const fs::path parent = fs::path(path).parent_path();
  if (parent.empty()) return true;
  std::error_code ec;
  fs::create_directories(parent, ec);
  return !ec;
}

bool positive_seconds(const std::string& text, double& out) {
  if (!is_number(text)) return false;
  out = std::stod(text);
  return out > 0;
}

void check_common(RunOptions& o, const RawOptions& raw, const ParseEnvironment& env, Checker& c) {
  if (!o.model.empty() && !readable(o.model)) c.fail("cannot read model '" + o.model + "'");
  if (!o.threshold.empty() && !is_number(o.threshold))
    c.fail("--threshold must be a non-negative number, got '" + o.threshold + "'");
  static const std::regex device(R"(^(auto|cpu|cuda|cuda:[0-9]+)$)");
  if (!o.device.empty() && !std::regex_match(o.device, device))
    c.fail("--device must be auto, cpu, cuda or cuda:N, got '" + o.device + "'");
  for (const auto& [flag, value] : {std::pair<const char*, const std::string&>{"alarm-frames", o.alarm_frames},
                                    {"clear-frames", o.clear_frames},
                                    {"interval", o.interval}})
    if (!value.empty() && (!is_uint(value) || std::stoull(value) < 1))
      c.fail(std::string("--") + flag + " must be a whole number >= 1, got '" + value + "'");
  if (!o.threads.empty() && !is_uint(o.threads)) c.fail("--threads must be a whole number, got '" + o.threads + "'");
  if (o.colour_matrix != "auto" && o.colour_matrix != "bt601" && o.colour_matrix != "bt709")
    c.fail("--colour-matrix must be auto, bt601 or bt709, got '" + o.colour_matrix + "'");
  if (o.wells.empty()) {
    // next to the scripts, or one folder up (share/wellmonitor/casting-table.wells.txt)
    std::vector<std::string> dirs;
    for (const auto& d : pipelines_dirs(o, env)) {
      dirs.push_back(d);
      dirs.push_back(d + "/..");
    }
    o.wells = first_existing(dirs, "casting-table.wells.txt");
    if (o.wells.empty()) c.fail("no layout found next to the scripts; give --wells FILE");
  }
  if (!o.wells.empty() && !readable(o.wells)) c.fail("cannot read layout '" + o.wells + "'");
  if (!o.reference_frame.empty() && !readable(o.reference_frame))
    c.fail("cannot read reference frame '" + o.reference_frame + "'");
  if (!o.mqtt.empty() && o.mqtt.rfind("mqtt://", 0) != 0 && o.mqtt.rfind("mqtts://", 0) != 0)
    c.fail("--mqtt needs an mqtt:// or mqtts:// URL, got '" + o.mqtt + "'");
  if (!o.frame_dir.empty() && !o.publishing()) c.fail("--frame-dir goes with --mqtt URL or --events FILE");
  if (!o.spool.empty() && o.mqtt.empty()) c.fail("--spool goes with --mqtt URL");
  if (!o.log.empty() && !o.dry_run && !make_parent(o.log)) c.fail("cannot write log '" + o.log + "'");

  const auto seconds = [&](const std::string& text, const char* flag, double& out) {
    if (!positive_seconds(text, out)) c.fail(std::string(flag) + " must be a number of seconds > 0, got '" + text + "'");
  };
  seconds(raw.watchdog, "--watchdog", o.watchdog_s);
  seconds(raw.start_timeout, "--start-timeout", o.start_timeout_s);
  seconds(raw.stop_timeout, "--stop-timeout", o.stop_timeout_s);
  if (!raw.record_segment.empty())
    seconds(raw.record_segment, "--record-segment", o.record_segment_s);
  else if (!o.shadow_dir.empty())
    o.record_segment_s = kShadowSegmentS;
  if (!o.shadow_dir.empty()) {
    const std::string e = o.dry_run ? "" : prepare_shadow_dir(o.shadow_dir);
    if (!e.empty()) c.fail(e);
    // the clips come from the recording: into DIR unless --record says where
    else if (o.record_dir.empty()) o.record_dir = ShadowPaths(o.shadow_dir).recording;
  }
  if (const auto v = parse_size(raw.record_max_size))
    o.record_max_bytes = *v;
  else
    c.fail("--record-max-size must be a size such as 500M or 10G, got '" + raw.record_max_size + "'");
  if (const auto v = parse_size(raw.record_keep_free))
    o.record_keep_free_bytes = *v;
  else
    c.fail("--record-keep-free must be a size such as 500M or 10G, got '" + raw.record_keep_free + "'");
  if (const auto v = parse_duration(raw.record_max_age))
    o.record_max_age_s = *v;
  else
    c.fail("--record-max-age must be a duration such as 7d or 12h, got '" + raw.record_max_age + "'");
  if (!o.record_dir.empty() && !o.dry_run) {
    std::error_code ec;
    fs::create_directories(o.record_dir, ec);
    if (ec || !fs::is_directory(o.record_dir)) c.fail("cannot create the recording folder '" + o.record_dir + "'");
  }
  if (o.state_dir.empty()) o.state_dir = state_directory(env.getenv);
  if (!o.mqtt.empty() && o.spool.empty()) o.spool = o.state_dir + "/" + safe_file_stem(o.camera_name()) + "/spool";

  // the live view
  if (!o.overlay_scale.empty() &&
      (!is_number(o.overlay_scale) || std::stod(o.overlay_scale) < 0.1 || std::stod(o.overlay_scale) > 10))
    c.fail("--overlay-scale must be a number from 0.1 to 10, got '" + o.overlay_scale + "'");
  if (!raw.restream_port.empty()) {
    if (!is_uint(raw.restream_port) || raw.restream_port.size() > 5 || std::stoi(raw.restream_port) > 65535)
      c.fail("--restream-port must be a port number from 0 to 65535 (0: any free port), got '" + raw.restream_port +
             "'");
    else
      o.restream_port = std::stoi(raw.restream_port);
  }
  if (!raw.restream_address.empty()) {
    if (raw.restream_port.empty()) c.fail("--restream-address goes with --restream-port N");
    o.restream_address = raw.restream_address;
  }
}

}  // namespace

ParseResult parse_command_line(const std::vector<std::string>& args, const std::string& name,
                               const ParseEnvironment& env) {
  ParseResult r;
  RunOptions o;
  o.name = name;
  RawOptions raw;
  ServiceRawOptions service_raw;
  std::vector<std::string> words;  // args with the --config files read in
  if (std::string error; !expand_config_files(args, words, error)) {
    r.exit_code = 2;
    r.err = name + ": error: " + error + "\n";
    return r;
  }

  CLI::App app{"", name};
  app.set_help_flag();
  bool top_help = false;
  app.add_flag("-h,--help", top_help);
  app.require_subcommand(0, 1);
  // an option given again (after a --config file's) overrides it
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  std::vector<std::pair<Mode, CLI::App*>> subs;
  for (const Mode m : {Mode::kFile, Mode::kRtsp, Mode::kCamera, Mode::kHeadless, Mode::kDemo, Mode::kLive}) {
    CLI::App* s = app.add_subcommand(mode_name(m));
    add_common(s, o, raw);
    add_service_options(s, o, service_raw);
    subs.emplace_back(m, s);
    if (m != Mode::kHeadless) s->add_flag("--no-display", raw.no_display);
    if (m == Mode::kFile || m == Mode::kDemo) s->add_flag("--fast", o.fast);
    if (m == Mode::kRtsp) {
      s->add_option("--latency", raw.latency);
      s->add_flag("--tcp", o.tcp);
    }
    if (m == Mode::kCamera) {
      s->add_option("--video-device", raw.video_device);
      s->add_option("--caps", o.caps);
    }
    if (m == Mode::kDemo) {
      s->add_option("--input", raw.input_option);
      s->add_option("--out-dir", raw.out_dir);
      s->add_option("--slack", raw.slack);
    }
    if (m == Mode::kLive) s->add_option("--source-pipeline", raw.input_option);
  }

  std::vector<std::string> reversed(words.rbegin(), words.rend());
  try {
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    r.exit_code = 2;
    r.err = name + ": error: " + e.what() + " (see --help)\n";
    return r;
  }
  CLI::App* sub = nullptr;
  for (const auto& [m, s] : subs)
    if (s->parsed()) {
      o.mode = m;
      sub = s;
    }
  if (!sub) {
    if (top_help) {
      r.out = top_help_text(name);
      return r;
    }
    r.exit_code = 2;
    r.err = name + ": error: give a mode: file, rtsp, camera, headless, demo or live (see --help)\n";
    return r;
  }
  if (raw.help) {
    r.out = help_text(o.mode, name);
    return r;
  }

  Checker c(r, name);
  const auto usage_error = [&](const std::string& message) {
    c.fail(message);
    return r;
  };
  std::vector<std::string> positional;
  for (const auto& extra : sub->remaining()) {
    if (extra.size() > 1 && extra[0] == '-') return usage_error("unknown option '" + extra + "' (see --help)");
    positional.push_back(extra);
  }
  const bool have_display = (env.getenv("DISPLAY") && *env.getenv("DISPLAY")) ||
                            (env.getenv("WAYLAND_DISPLAY") && *env.getenv("WAYLAND_DISPLAY"));
  const auto window = [&] {
    o.display = !raw.no_display;
    if (o.display && !have_display) {
      r.notes.push_back(name + ": no display (DISPLAY and WAYLAND_DISPLAY are unset): running without a window");
      o.display = false;
    }
  };

  switch (o.mode) {
    case Mode::kFile:
      if (positional.empty()) return usage_error("no video given (see --help)");
      if (positional.size() > 1)
        return usage_error("one video at a time ('" + positional[0] + "' and '" + positional[1] + "')");
      o.input = positional[0];
      if (!readable(o.input)) return usage_error("cannot read video '" + o.input + "'");
      window();
      break;
    case Mode::kRtsp:
      if (positional.empty()) return usage_error("no rtsp:// URL given (see --help)");
      if (positional.size() > 1)
        return usage_error("one stream at a time ('" + positional[0] + "' and '" + positional[1] + "')");
      o.input = positional[0];
      if (o.input.rfind("rtsp://", 0) != 0 && o.input.rfind("rtsps://", 0) != 0)
        return usage_error("not an rtsp:// URL: '" + o.input + "'");
      if (!is_uint(raw.latency) || raw.latency.size() > 7)
        return usage_error("--latency must be a whole number of milliseconds");
      o.latency_ms = std::stoi(raw.latency);
      window();
      break;
    case Mode::kCamera:
      if (!positional.empty()) return usage_error("unexpected argument '" + positional[0] + "' (see --help)");
      o.input = raw.video_device.empty() ? "/dev/video0" : raw.video_device;
      // --camera /dev/... named the device before --camera ID named the camera
      if (o.camera.rfind("/dev/", 0) == 0) {
        o.input = o.camera;
        o.camera.clear();
      }
      window();
      break;
    case Mode::kHeadless:
      if (positional.size() > 2) return usage_error("unexpected argument '" + positional[2] + "' (see --help)");
      if (positional.size() < 2) return usage_error("give INPUT and OUTPUT.mp4 (see --help)");
      o.input = positional[0];
      o.output = positional[1];
      if (!readable(o.input)) return usage_error("cannot read video '" + o.input + "'");
      if (o.output.size() < 4 || o.output.substr(o.output.size() - 4) != ".mp4")
        return usage_error("OUTPUT must end in .mp4, got '" + o.output + "'");
      if (!make_parent(o.output)) return usage_error("cannot create the folder of '" + o.output + "'");
      if (o.log.empty()) o.log = o.output.substr(0, o.output.size() - 4) + ".alarms.log";
      o.display = false;
      o.fast = true;
      break;
    case Mode::kDemo: {
      if (!positional.empty()) return usage_error("unexpected argument '" + positional[0] + "' (see --help)");
      o.input = raw.input_option;
      if (o.input.empty()) {
        o.input = first_existing(pipelines_dirs(o, env), "demo/replay.mp4");
        if (o.input.empty()) o.input = "demo/replay.mp4";
      }
      if (!readable(o.input)) return usage_error("cannot read the replay '" + o.input + "' (make it with make-demo-replay.sh)");
      if (!is_uint(raw.slack) || raw.slack.size() > 9) return usage_error("--slack must be a whole number of frames");
      o.slack = std::stoll(raw.slack);
      const size_t dot = o.input.rfind('.');
      o.truth = (dot == std::string::npos || o.input.find('/', dot) != std::string::npos ? o.input
                                                                                         : o.input.substr(0, dot)) +
                ".truth.csv";
      o.display = !raw.no_display && have_display;
      std::error_code ec;
      fs::create_directories(raw.out_dir, ec);
      if (ec || !fs::is_directory(raw.out_dir)) return usage_error("cannot create '" + raw.out_dir + "'");
      o.output = (fs::path(raw.out_dir) / "demo-annotated.mp4").string();
      o.summary = (fs::path(raw.out_dir) / "demo-summary.txt").string();
      if (o.log.empty()) o.log = (fs::path(raw.out_dir) / "demo-alarms.log").string();
      // The replay shows each normal crop for 4 frames; 5 frames over the threshold
      // means a spill sequence, never one stray crop.
      if (o.alarm_frames.empty()) o.alarm_frames = "5";
      break;
    }
    case Mode::kLive:
      if (!positional.empty()) return usage_error("unexpected argument '" + positional[0] + "' (see --help)");
      o.input = raw.input_option;
      if (o.input.empty()) return usage_error("no --source-pipeline DESC given (see --help)");
      window();
      break;
  }
  check_common(o, raw, env, c);
  if (c.ok())
    if (const std::string e = check_service_options(o, service_raw, env, args, r.notes); !e.empty()) c.fail(e);
  if (o.mode == Mode::kCamera && c.ok() && !o.dry_run && ::access(o.input.c_str(), F_OK) != 0)
    c.fail("no camera at '" + o.input + "' (see v4l2-ctl --list-devices)");
  if (!c.ok()) return r;
  if (!o.shadow_dir.empty()) {
    // nothing leaves: the publishers are left out of the pipeline
    std::string dropped;
    if (!o.mqtt.empty()) dropped += " (--mqtt " + without_credentials(o.mqtt) + " not used)";
    if (!o.events.empty()) dropped += " (--events " + o.events + " not used)";
    r.notes.push_back(name + ": SHADOW MODE: no alarm is sent" + dropped + "; each alarm it would raise is kept in " +
                      o.shadow_dir + " for review (wellmonitor-run shadow-report " + o.shadow_dir + ")");
    o.mqtt.clear();
    o.events.clear();
    o.frame_dir.clear();
    o.spool.clear();
  }
  if (!o.mqtt.empty())
    r.notes.push_back(name + ": publishing alarms to " + without_credentials(o.mqtt) + " as camera " +
                      (o.camera.empty() ? "camera" : o.camera));
  if (!o.events.empty()) r.notes.push_back(name + ": appending events to " + o.events);
  if (o.restream_port >= 0 && o.restream_address != "127.0.0.1" && o.restream_address != "localhost" &&
      o.restream_address != "::1")
    r.notes.push_back(name + ": the live view is open to every host that reaches " + o.restream_address +
                      ", without a password");
  r.options = std::move(o);
  return r;
}

}  // namespace wellmonitor::run
