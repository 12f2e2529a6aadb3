// wellmonitor-replay: build a video of the casting table from the real frame and real
// well crops, with scripted spills, and write its ground truth.
//
//   wellmonitor-replay --frame frames/casting_table_1920x1200.png
//       --layout pipelines/casting-table.wells.txt --normal proliv/train
//       --spill-crops proliv/proliv --spills 5 --fps 12 --duration 50 --seed 7
//       --out replay.mp4 --truth replay.truth.csv
//
// Every frame is the background with a real crop pasted into every well's box (the
// layout scaled to the video size, the crop resized to the box). Normal crops are
// drawn at random (seeded) and change every few frames, each well on its own phase,
// like a live camera; each spill plays one well's spill crops in capture order.
#include "replay.h"
#include "replay_truth.h"

#include "wellmonitor/layout.h"

#include <CLI/CLI.hpp>
#include <opencv2/core/utils/logger.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/photo.hpp>
#include <opencv2/videoio.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

#include <unistd.h>

namespace fs = std::filesystem;
using namespace wellmonitor;
using namespace wellmonitor::replay;

namespace {

struct Options {
  std::string normal_dir;
  std::string spill_dir;
  std::string labels;
  std::string images_dir;
  std::string groups;        // near-duplicate groups of the labelled crops
  std::string layout;
  std::string frame;
  double fps = 12.0;
  double duration = 50.0;
  uint64_t seed = 1;
  int spills = 5;
  std::string out;
  std::string truth;
  std::string shown;  // optional CSV: which crop each well showed when
  std::string size;          // "WxH"; empty = the background's size
  int hold = 6;              // frames per spill crop
  int change = 4;            // frames between two normal crops at a well
  double jitter = 0.03;      // brightness gain in [1-j, 1+j] per pasted crop
  double warmup = 3.0;       // seconds before the first spill
  double gap = 4.0;          // seconds of normal wells after each spill
  double spill_min = 2.0;    // seconds a spill lasts at least
  int min_group = 3;         // random spills prefer sequences of at least this many crops
  std::vector<std::string> spill_wells;
  std::vector<std::string> spill_sources;
  std::string codec;         // h264 | mpeg4 | mjpeg; empty = from the extension
  bool keep_marks = false;   // keep the plant software's overlay marks in the background
  bool quiet = false;
};

cv::Size parse_size(const std::string& s) {
  int w = 0, h = 0;
  char x = 0, extra = 0;
  std::istringstream in(s);
  if (!(in >> w >> x >> h) || (x != 'x' && x != 'X') || (in >> extra) || w < 16 || h < 16 ||
      w > 8192 || h > 8192)
    throw ReplayError("--size must look like 1920x1200 (16..8192 each), got '" + s + "'");
  if (w % 2 || h % 2) throw ReplayError("--size must be even in both directions for H.264/4:2:0");
  return {w, h};
}

// Crops decoded once, kept in memory (the whole dataset is ~40 MB decoded).
class CropCache {
 public:
  const cv::Mat& get(const std::string& path) {
    auto it = cache_.find(path);
    if (it != cache_.end()) return it->second;
    cv::Mat m = cv::imread(path, cv::IMREAD_COLOR);
    if (m.empty()) throw ReplayError("cannot read image '" + path + "'");
    return cache_.emplace(path, std::move(m)).first->second;
  }

 private:
  std::unordered_map<std::string, cv::Mat> cache_;
};

// The real frame carries the plant software's overlay: a pure red box around a
// spilling well and a pure green "0->" at the top left. A replay must not show a
// spill marker where no spill is, so those saturated pixels are inpainted away.
// Returns how many pixels were marks.
int remove_marks(cv::Mat& bgr) {
  cv::Mat mask(bgr.size(), CV_8UC1, cv::Scalar(0));
  for (int y = 0; y < bgr.rows; ++y) {
    const auto* p = bgr.ptr<cv::Vec3b>(y);
    auto* m = mask.ptr<uint8_t>(y);
    for (int x = 0; x < bgr.cols; ++x) {
      const int b = p[x][0], g = p[x][1], r = p[x][2];
      const bool red = r > 140 && r - g > 80 && r - b > 80;
      const bool green = g > 150 && g - r > 80 && g - b > 80;
      if (red || green) m[x] = 255;
    }
  }
  const int marks = cv::countNonZero(mask);
  if (marks == 0) return 0;
  // Grow the mask over the compression fringe around the marks.
  cv::dilate(mask, mask, cv::getStructuringElement(cv::MORPH_RECT, cv::Size(9, 9)));
  cv::Mat clean;
  cv::inpaint(bgr, mask, clean, 5, cv::INPAINT_TELEA);
  bgr = clean;
  return marks;
}

cv::Mat fit(const cv::Mat& crop, const cv::Size& box, double gain) {
  cv::Mat out;
  const bool shrink = box.width < crop.cols || box.height < crop.rows;
  cv::resize(crop, out, box, 0, 0, shrink ? cv::INTER_AREA : cv::INTER_LINEAR);
  if (gain != 1.0) out.convertTo(out, -1, gain, 0.0);
  return out;
}

struct Codec {
  const char* name;
  int fourcc;
};

std::vector<Codec> codecs_for(const std::string& path, const std::string& wanted) {
  const Codec h264{"h264", cv::VideoWriter::fourcc('a', 'v', 'c', '1')};
  const Codec mpeg4{"mpeg4", cv::VideoWriter::fourcc('m', 'p', '4', 'v')};
  const Codec mjpeg{"mjpeg", cv::VideoWriter::fourcc('M', 'J', 'P', 'G')};
  if (wanted == "h264") return {h264};
  if (wanted == "mpeg4") return {mpeg4};
  if (wanted == "mjpeg") return {mjpeg};
  if (!wanted.empty()) throw ReplayError("--codec must be h264, mpeg4 or mjpeg, got '" + wanted + "'");
  std::string ext = fs::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  if (ext == ".mp4" || ext == ".m4v" || ext == ".mov" || ext == ".mkv") return {h264, mpeg4};
  if (ext == ".avi") return {mjpeg};
  throw ReplayError("cannot tell the container from '" + path +
                    "': use .mp4, .mkv, .mov or .avi");
}

// H.264 written through GStreamer, the colour matrix said in the stream.
// OpenCV's FFmpeg writer converts to Y'CbCr with the BT.601 matrix and does not
// say so; GStreamer then reads an HD stream as BT.709 (its guess for that size),
// and every well's colours come out shifted, unlike the plant's cameras, which say
// their matrix. Here videoconvert converts with BT.709 and the encoder writes it
// into the stream's VUI, so that any decoder reads the colours that were drawn.
// Returns the muxer for the file's extension, or nullptr when it has none here.
const char* gst_muxer_for(const std::string& path) {
  std::string ext = fs::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  if (ext == ".mp4" || ext == ".m4v") return "mp4mux";
  if (ext == ".mov") return "qtmux";
  if (ext == ".mkv") return "matroskamux";
  return nullptr;
}

// A GStreamer pipeline description's quoted string.
std::string gst_quoted(const std::string& s) {
  std::string q = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') q += '\\';
    q += c;
  }
  return q + "\"";
}

struct GstEncoder {
  const char* name;      // for the summary line
  const char* elements;  // the encoder part of the pipeline
};

// x264enc (gstreamer1.0-plugins-ugly; the libx264 FFmpeg uses, at its default
// quality, CRF 23), else openh264enc (gstreamer1.0-plugins-bad).
const std::vector<GstEncoder> kGstEncoders = {
    {"x264enc", "x264enc pass=qual quantizer=23 speed-preset=medium"},
    {"openh264enc", "openh264enc bitrate=4000000 complexity=high"},
};

bool open_gst_h264(cv::VideoWriter& writer, const std::string& path, double fps, cv::Size size,
                   std::string& used) {
  const char* mux = gst_muxer_for(path);
  if (!mux) return false;
  for (const auto& e : kGstEncoders) {
    const std::string pipeline = std::string("appsrc ! videoconvert ! video/x-raw,format=I420,colorimetry=bt709 ! ") +
                                 e.elements + " ! h264parse ! " + mux + " ! filesink location=" + gst_quoted(path);
    if (writer.open(pipeline, cv::CAP_GSTREAMER, 0, fps, size, true)) {
      used = std::string("h264 (") + e.name + ", BT.709 said in the stream)";
      return true;
    }
  }
  return false;
}

int run(const Options& o) {
  if (!(o.fps > 0 && o.fps <= 120)) throw ReplayError("--fps must be in (0, 120]");
  if (!(o.duration > 0 && o.duration <= 3600)) throw ReplayError("--duration must be in (0, 3600] s");
  if (o.hold < 1 || o.change < 1) throw ReplayError("--hold and --change must be at least 1 frame");
  if (!(o.jitter >= 0 && o.jitter < 0.5)) throw ReplayError("--jitter must be in [0, 0.5)");
  if (o.warmup < 0 || o.gap < 0 || o.spill_min < 0)
    throw ReplayError("--warmup, --gap and --spill-min cannot be negative");

  // Inputs first, so a bad argument fails before any work.
  const WellLayout layout = [&] {
    try {
      return load_layout(o.layout);
    } catch (const LayoutError& e) {
      throw ReplayError(std::string("layout: ") + e.what());
    }
  }();
  // Normal crops: a folder (one crop at a time, drawn at random), or with --groups
  // the labels file's normals, shown group by group: a well shows a run of one
  // group's near-identical crops, as a well over time does, then another group.
  std::vector<std::string> normals;
  std::vector<SpillGroup> normal_groups;
  std::vector<std::string> spill_files;
  const std::string labels_dir = [&] {
    const std::string d = o.images_dir.empty() ? fs::path(o.labels).parent_path().string() : o.images_dir;
    return d.empty() ? std::string(".") : d;
  }();
  if (!o.normal_dir.empty()) normals = list_images(o.normal_dir, "normal crops");
  if (!o.groups.empty()) {
    std::vector<std::string> labelled_normals;
    for (const auto& f : read_labelled_files(o.labels, labels_dir))
      (f.label ? spill_files : labelled_normals).push_back(f.path);
    if (normals.empty()) {
      normal_groups = group_by_file(labelled_normals, o.groups);
      if (normal_groups.empty()) throw ReplayError("labels file '" + o.labels + "' labels no file as normal (0)");
    }
    if (o.spills > 0 && spill_files.empty())
      throw ReplayError("labels file '" + o.labels + "' labels no file as a spill (1)");
  } else if (o.spills > 0) {
    if (!o.labels.empty()) {
      spill_files = read_labelled_spills(o.labels, labels_dir);
    } else {
      spill_files = list_images(o.spill_dir, "spill crops");
    }
  }
  if (normals.empty() && normal_groups.empty()) throw ReplayError("give --normal DIR, or --labels with --groups");
  cv::Mat background = cv::imread(o.frame, cv::IMREAD_COLOR);
  if (background.empty()) throw ReplayError("cannot read background frame '" + o.frame + "'");
  const int marks = o.keep_marks ? 0 : remove_marks(background);
  const cv::Size size = o.size.empty() ? background.size() : parse_size(o.size);
  if (size.width % 2 || size.height % 2)
    throw ReplayError("the video size must be even in both directions; give --size");
  if (size != background.size()) {
    const bool shrink = size.width < background.cols;
    cv::resize(background, background, size, 0, 0, shrink ? cv::INTER_AREA : cv::INTER_LINEAR);
  }
  const std::vector<cv::Rect> boxes = layout.scaled(size.width, size.height);

  const int total = static_cast<int>(std::lround(o.duration * o.fps));
  if (total < 1) throw ReplayError("--duration times --fps gives no frame");
  Rng rng(o.seed);
  ScheduleOptions so;
  so.total_frames = total;
  so.num_spills = o.spills;
  so.hold_frames = o.hold;
  so.min_spill_frames = static_cast<int>(std::lround(o.spill_min * o.fps));
  so.warmup_frames = static_cast<int>(std::lround(o.warmup * o.fps));
  so.min_gap_frames = static_cast<int>(std::lround(o.gap * o.fps));
  so.min_group_crops = o.min_group;
  so.wells = o.spill_wells;
  so.sources = o.spill_sources;
  const auto schedule = schedule_spills(
      layout, o.groups.empty() ? group_spills(spill_files) : group_by_file(spill_files, o.groups), so, rng);

  // Open the outputs before rendering: an unwritable path fails at once.
  std::ofstream truth(o.truth);
  if (!truth) throw ReplayError("cannot write ground truth '" + o.truth + "'");
  cv::VideoWriter writer;
  std::string codec_used;
  for (const auto& c : codecs_for(o.out, o.codec)) {
    if (std::string(c.name) == "h264" && open_gst_h264(writer, o.out, o.fps, size, codec_used)) break;
    if (writer.open(o.out, cv::CAP_FFMPEG, c.fourcc, o.fps, size, true)) {
      codec_used = c.name;
      if (std::string(c.name) != "mjpeg")
        std::fprintf(stderr,
                     "wellmonitor-replay: warning: %s through OpenCV's FFmpeg writer, whose stream does not say "
                     "its colour matrix (BT.601): GStreamer reads an HD stream as BT.709, and the wells' colours "
                     "come out shifted%s\n",
                     c.name,
                     std::string(c.name) == "h264"
                         ? " (no GStreamer H.264 encoder: install gstreamer1.0-plugins-ugly for x264enc)"
                         : "; h264 says it");
      break;
    }
  }
  if (!writer.isOpened())
    throw ReplayError("cannot open video writer for '" + o.out +
                      "' (GStreamer and OpenCV's FFmpeg backend; is the folder writable?)");

  std::ofstream shown;
  if (!o.shown.empty()) {
    shown.open(o.shown);
    if (!shown) throw ReplayError("cannot write '" + o.shown + "'");
    shown << "well,first_frame,last_frame,file\n";
  }
  {
    std::vector<TruthSpill> spills;
    for (const auto& s : schedule) spills.push_back({s.well, s.first_frame, s.last_frame});
    write_truth(truth, spills);
  }
  truth.close();
  if (!truth) throw ReplayError("error while writing '" + o.truth + "'");

  if (!o.quiet) {
    std::printf("%s: %dx%d, %.3g fps, %d frames (%.1f s), %s; %zu wells, %s, seed %llu\n",
                o.out.c_str(), size.width, size.height, o.fps, total, total / o.fps, codec_used.c_str(),
                layout.wells.size(),
                normal_groups.empty() ? (std::to_string(normals.size()) + " normal crops").c_str()
                                      : (std::to_string(normal_groups.size()) + " normal groups").c_str(),
                static_cast<unsigned long long>(o.seed));
    if (marks > 0)
      std::printf("  removed %d px of overlay marks (red/green) from the background\n", marks);
    for (const auto& s : schedule)
      std::printf("  spill at %-6s frames %5d-%5d (%6.2f-%6.2f s): %zu crops of source well %s, %d frames each\n",
                  s.well.c_str(), s.first_frame, s.last_frame, s.first_frame / o.fps,
                  (s.last_frame + 1) / o.fps, s.files.size(), s.source.c_str(), s.hold);
    std::fflush(stdout);
  }

  // Per-well state: the pasted crop and when it changes next.
  const size_t n_wells = layout.wells.size();
  std::vector<cv::Mat> current(n_wells);
  std::vector<int> next_change(n_wells, 0);
  std::vector<int> spill_of(n_wells, -1);  // index into schedule while that spill is on
  std::vector<int> spill_crop(n_wells, -1);
  std::vector<int> run_group(n_wells, -1), run_pos(n_wells, 0);  // with --groups: the normal run shown
  std::vector<std::string> shown_file(n_wells);
  std::vector<int> shown_since(n_wells, 0);
  auto show = [&](size_t w, const std::string& file, int f) {
    if (shown.is_open() && !shown_file[w].empty())
      shown << layout.wells[w].id << ',' << shown_since[w] << ',' << f - 1 << ',' << shown_file[w] << '\n';
    shown_file[w] = file;
    shown_since[w] = f;
  };
  CropCache cache;
  auto gain = [&] { return 1.0 + o.jitter * (2.0 * rng.uniform() - 1.0); };

  cv::Mat frame;
  const bool progress = !o.quiet && isatty(STDERR_FILENO);
  int last_report = -1;
  for (int f = 0; f < total; ++f) {
    background.copyTo(frame);
    for (size_t w = 0; w < n_wells; ++w) {
      const cv::Rect& box = boxes[w];
      // A spill on this well now?
      int active = -1;
      for (size_t i = 0; i < schedule.size(); ++i)
        if (schedule[i].well_index == static_cast<int>(w) && f >= schedule[i].first_frame &&
            f <= schedule[i].last_frame)
          active = static_cast<int>(i);
      if (active >= 0) {
        const auto& s = schedule[active];
        const int k = (f - s.first_frame) / s.hold;
        if (spill_of[w] != active || spill_crop[w] != k) {
          current[w] = fit(cache.get(s.files[k]), box.size(), gain());
          show(w, s.files[k], f);
          spill_of[w] = active;
          spill_crop[w] = k;
        }
      } else {
        if (spill_of[w] >= 0) {  // a spill just ended: back to normal crops now
          spill_of[w] = -1;
          spill_crop[w] = -1;
          next_change[w] = f;
        }
        if (current[w].empty() || f >= next_change[w]) {
          // The first change comes at a random phase, so the wells do not all change at once.
          const int wait = current[w].empty() ? 1 + rng.below(o.change) : o.change;
          std::string path;
          if (normal_groups.empty()) {
            path = normals[rng.below(static_cast<int>(normals.size()))];
          } else {
            if (run_group[w] < 0 || run_pos[w] >= static_cast<int>(normal_groups[run_group[w]].files.size())) {
              run_group[w] = rng.below(static_cast<int>(normal_groups.size()));
              run_pos[w] = 0;
            }
            path = normal_groups[run_group[w]].files[run_pos[w]++];
          }
          current[w] = fit(cache.get(path), box.size(), gain());
          show(w, path, f);
          next_change[w] = f + wait;
        }
      }
      current[w].copyTo(frame(box));
    }
    writer.write(frame);
    const int pct = static_cast<int>(100.0 * (f + 1) / total);
    if (progress && pct != last_report) {
      std::fprintf(stderr, "\r  %3d%% (%d/%d frames)", pct, f + 1, total);
      last_report = pct;
    }
  }
  writer.release();
  if (progress) std::fprintf(stderr, "\n");
  for (size_t w = 0; w < n_wells; ++w) show(w, "", total);
  if (shown.is_open() && !shown) throw ReplayError("error while writing '" + o.shown + "'");
  std::error_code ec;
  const auto bytes = fs::file_size(o.out, ec);
  if (ec || bytes == 0) throw ReplayError("the video '" + o.out + "' was not written");
  if (!o.quiet)
    std::printf("wrote %s (%.1f MB) and %s (%zu spills)\n", o.out.c_str(), bytes / 1e6,
                o.truth.c_str(), schedule.size());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{
      "Replay of the real plant: builds a video of the casting table from the real frame and "
      "real well crops, with scripted spills, and writes its ground truth.\n\n"
      "Every frame is the background frame (resized to --size) with a real crop pasted into "
      "every well of the layout (scaled to --size; each crop resized to its box). Normal crops "
      "are drawn at random from --normal and change every --change frames at each well, like a "
      "live camera. Spills replay real spill sequences: the spill crops are grouped by the well "
      "number in their names (<well>_CAM_C_<DD-MM-YYYY>_<HH-MM-SS-mmm>.jpg) and each group is "
      "played in capture-time order on one layout well, each crop for --hold frames. Spills "
      "come one after the other at different wells, --gap seconds apart at least.\n\n"
      "Ground truth (--truth) is a CSV: header 'well,first_frame,last_frame', then one line per "
      "spill: the layout id and the first and last frame (0-based, inclusive) showing it.\n\n"
      "Scale: the dataset's crops are at the real frame's full resolution (a well's cup is "
      "about 48x28 px in casting_table_1920x1200.png), so the default size, the background's "
      "own, pastes them at about their own size.",
      "wellmonitor-replay"};
  app.get_formatter()->column_width(34);
  auto* normal_opt = app.add_option("--normal", o.normal_dir,
                                    "Folder of normal well crops (jpg/png); with --labels and --groups it may be "
                                    "left out: the files labelled 0 are then the normal crops");
  auto* spill_opt = app.add_option("--spill-crops", o.spill_dir,
                                   "Folder of spill crops, named <well>_<camera>_<DD-MM-YYYY>_<HH-MM-SS-mmm>.jpg");
  auto* labels_opt = app.add_option(
      "--labels", o.labels,
      "Instead of --spill-crops: a labels file ('<file name> <0|1>' per line); the files labelled 1 are the spill crops");
  app.add_option("--images", o.images_dir,
                 "Folder of the files named in --labels (default: the labels file's folder)")
      ->needs(labels_opt);
  spill_opt->excludes(labels_opt);
  app.add_option("--groups", o.groups,
                 "With --labels: a groups file ('<file name> <group>', near-duplicate groups, e.g. one well over a "
                 "few seconds). Each spill group is one spill sequence (its crops in name order); without --normal "
                 "the normals are the files labelled 0, and a well shows a run of one group's crops, each for "
                 "--change frames, then another group's")
      ->needs(labels_opt);
  (void)normal_opt;
  app.add_option("--layout", o.layout, "Well layout file (reference + well lines)")->required();
  app.add_option("--frame", o.frame, "Background frame (the real camera frame)")->required();
  app.add_option("--fps", o.fps, "Frames per second")->capture_default_str();
  app.add_option("--duration", o.duration, "Length in seconds")->capture_default_str();
  app.add_option("--seed", o.seed, "Seed: the same seed and arguments give the same video")
      ->capture_default_str();
  app.add_option("--spills", o.spills, "Number of spills (each at a different well)")
      ->capture_default_str();
  app.add_option("-o,--out", o.out, "Output video (.mp4/.mkv/.mov: H.264; .avi: MJPEG)")->required();
  app.add_option("--truth", o.truth, "Output ground-truth CSV (well,first_frame,last_frame)")
      ->required();
  app.add_option("--shown", o.shown,
                 "Also write which crop each well showed when, as CSV (well,first_frame,last_frame,file): to "
                 "trace a false alarm back to its crop");
  app.add_option("--size", o.size, "Video size WxH (default: the background frame's size)");
  app.add_option("--hold", o.hold, "Frames each spill crop stays on screen")->capture_default_str();
  app.add_option("--change", o.change, "Frames between two normal crops at a well")
      ->capture_default_str();
  app.add_option("--jitter", o.jitter, "Brightness jitter: each pasted crop's gain is in [1-j, 1+j]")
      ->capture_default_str();
  app.add_option("--warmup", o.warmup, "Seconds of normal wells before the first spill")
      ->capture_default_str();
  app.add_option("--gap", o.gap, "Seconds of normal wells at least after each spill")
      ->capture_default_str();
  app.add_option("--spill-min", o.spill_min,
                 "Seconds a spill lasts at least (short sequences hold their crops longer)")
      ->capture_default_str();
  app.add_option("--min-sequence", o.min_group,
                 "Random spills prefer source wells with at least this many crops")
      ->capture_default_str();
  app.add_option("--spill-wells", o.spill_wells,
                 "Layout wells for the spills, in order (default: random, seeded)")
      ->delimiter(',');
  app.add_option("--spill-sources", o.spill_sources,
                 "Source wells (number in the spill names) to replay, in order (default: random, seeded)")
      ->delimiter(',');
  app.add_option("--codec", o.codec, "h264, mpeg4 or mjpeg (default: from the extension)");
  app.add_flag("--keep-marks", o.keep_marks,
               "Keep the plant software's overlay marks (pure red box, green '0->') in the "
               "background; by default they are inpainted away");
  app.add_flag("-q,--quiet", o.quiet, "Print nothing but errors");
  CLI11_PARSE(app, argc, argv);
  // Our own messages say what failed; OpenCV's warnings would only repeat it.
  cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_ERROR);

  if (o.normal_dir.empty() && o.groups.empty()) {
    std::fprintf(stderr, "wellmonitor-replay: error: give --normal DIR (or --labels FILE --groups FILE)\n");
    return 2;
  }
  if (o.spills > 0 && o.spill_dir.empty() && o.labels.empty()) {
    std::fprintf(stderr, "wellmonitor-replay: error: give --spill-crops DIR or --labels FILE (or --spills 0)\n");
    return 2;
  }
  try {
    return run(o);
  } catch (const ReplayError& e) {
    std::fprintf(stderr, "wellmonitor-replay: error: %s\n", e.what());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "wellmonitor-replay: error: %s\n", e.what());
  }
  return 1;
}
