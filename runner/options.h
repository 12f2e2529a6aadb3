// wellmonitor-run's command line: one subcommand per way of running (the pipeline
// scripts exec these: file.sh is `wellmonitor-run file`, ...), the options the
// scripts always took, and the runner's own (recording, supervision, state).
// Parsing and checking only: nothing here touches GStreamer or the pipeline.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace wellmonitor::run {

enum class Mode {
  kFile,      // file.sh: a recorded video, shown (or not) at its pace
  kRtsp,      // rtsp.sh: an IP camera
  kCamera,    // camera.sh: a V4L2 camera
  kHeadless,  // headless.sh: a video in, an annotated MP4 and an alarm log out
  kDemo,      // demo.sh: the demo replay, checked against its ground truth
  kLive,      // a live source given as a gst-launch description (--source-pipeline)
};

const char* mode_name(Mode mode);  // "file", "rtsp", ...
// A live source is supervised and reconnected; a recorded file ends the run.
bool is_live(Mode mode);

struct RunOptions {
  Mode mode = Mode::kFile;
  std::string name = "wellmonitor-run";  // in messages ("file.sh: error: ...")

  // --- the source
  std::string input;             // file path, rtsp:// URL, V4L2 device, or a gst-launch description (kLive)
  int latency_ms = 200;          // rtsp: jitter buffer
  bool tcp = false;              // rtsp: RTP over TCP
  std::string caps;              // camera: caps to ask for

  // --- the monitor (empty: the element's default)
  std::string model, wells, threshold, device, alarm_frames, clear_frames, interval, threads;
  std::string reference_frame;   // the picture the layout was drawn on: camera-shift and obscured checks
  bool stretch = false;          // accept a stream of another shape than the layout's
  // --colour-matrix: how an H.264/H.265 stream that does not say its colour matrix
  // is read (colour_matrix.h): auto (BT.601), bt601 or bt709
  std::string colour_matrix = "auto";

  // --- publishing
  std::string mqtt, camera, events, frame_dir;
  // --spool: where the MQTT publisher keeps undelivered events on disk ("none":
  // nowhere); with --mqtt the default is STATE_DIR/CAMERA/spool.
  std::string spool;

  // --- outputs
  bool display = true;           // a window (when the machine has a display)
  bool fast = false;             // recorded input: as fast as possible, not at its pace
  std::string output;            // one annotated MP4 (headless, demo)
  std::string log;               // alarm lines also go here
  std::string record_dir;        // annotated video as MPEG-TS segments here
  double record_segment_s = 60;
  uint64_t record_max_bytes = 10ull << 30;
  int64_t record_max_age_s = 0;
  uint64_t record_keep_free_bytes = 1ull << 30;

  // --- shadow mode (shadow.h): no alarm sent, each one kept here for a person to judge
  std::string shadow_dir;

  // --- the live view: welloverlay's size, the RTSP re-stream of the annotated video
  std::string overlay_scale;     // welloverlay's scale; empty: its default
  int restream_port = -1;        // -1: no re-stream; 0: any free port
  std::string restream_address = "127.0.0.1";

  // --- supervision and stopping
  double watchdog_s = 5;         // seconds without a frame = camera lost
  double start_timeout_s = 10;   // seconds a (re)started source has for its first frame
  double stop_timeout_s = 10;    // seconds the end-of-stream gets at a stop
  std::string state_dir;         // the lock lives here

  // --- demo
  std::string truth;             // ground truth to check the alarms against
  int64_t slack = 12;
  std::string summary;           // the check's text also goes here

  // --- other
  std::string build;             // a build tree whose plugin/ to use
  bool dry_run = false;
  std::string pipelines_dir;     // the scripts' folder (layout, demo replay)

  // --- the service (service_options.h): systemd heartbeat, metrics, MQTT site, secrets
  int metrics_port = -1;               // the metrics endpoint's port; -1: none, 0: any free one
  std::string metrics_address = "127.0.0.1";
  double hang_timeout_s = 20;          // a frame's push through the pipeline longer than this: a hung streaming thread
  std::string mqtt_topic;              // wellpublish's topic prefix (a site: wellmonitor/SITE/LINE)
  std::string mqtt_password_file;      // the broker's password, read from this file
  std::string rtsp_password_file;      // the camera's password, read from this file
  std::string rtsp_user;               // the camera's user, taken out of the URL when its password is in a file

  // The camera's name in lines, the lock and segment names: --camera, else one
  // made from the source.
  std::string camera_name() const;
  bool publishing() const { return !mqtt.empty() || !events.empty(); }
};

// What the environment offers the parser (std::getenv and the file system in
// use; a table in tests).
struct ParseEnvironment {
  std::function<const char*(const char*)> getenv;
  // Folders of the pipeline scripts, in order of preference: the layout is found
  // in one or one folder up, the demo replay in its demo/.
  std::vector<std::string> pipelines_dirs;
};

struct ParseResult {
  std::optional<RunOptions> options;  // set: run with these
  int exit_code = 0;                  // otherwise: exit with this...
  std::string out;                    // ...after printing this on stdout (help)
  std::string err;                    // ...and this on stderr (one line per message)
  std::vector<std::string> notes;     // run: lines for stderr before it starts
};

// args: argv[1..]; name: argv[0]'s basename.
ParseResult parse_command_line(const std::vector<std::string>& args, const std::string& name,
                               const ParseEnvironment& env);

// "10G", "500M", "64k", "1048576" (bytes; K, M, G, T are powers of 1024).
std::optional<uint64_t> parse_size(const std::string& text);
// "30d", "12h", "90m", "45s", "3600" (seconds).
std::optional<int64_t> parse_duration(const std::string& text);

std::string help_text(Mode mode, const std::string& name);
std::string top_help_text(const std::string& name);

}  // namespace wellmonitor::run
