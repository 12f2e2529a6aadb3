// wellmonitor-trainer extract: every well's crop from a recording, through
// the element's own crop code (crops/well-crops.h), so that a crop written
// here is, pixel for pixel, the crop `wellmonitor` scores in that frame.
//
// The recording is decoded by `filesrc ! decodebin ! videoconvert ! appsink`,
// the appsink asking for the element's formats, so that videoconvert
// negotiates the format it would give the element (a decoder's I420 passes
// through). Each analysed frame's wells are cut by WellCrops and written as
// PNG (lossless) named `<well>_<HH-MM-SS-mmm>.png` by stream time.
#include "common.h"
#include "progress.h"
#include "well-crops.h"
#include "wellmonitor/layout.h"

#include <CLI/CLI.hpp>
#include <gst/gst.h>
#include <gst/video/video.h>
#include <opencv2/imgcodecs.hpp>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>

namespace fs = std::filesystem;

namespace wellmonitor {

namespace {

// The formats `wellmonitor` accepts (its pad templates), in its order.
constexpr const char* kElementCaps = "video/x-raw,format={ BGR, BGRx, BGRA, RGB, RGBx, RGBA, GRAY8, I420, NV12 }";

// "12.5" (seconds), "1:02.5" (minutes:seconds) or "1:00:02" -> seconds; empty on error.
std::optional<double> parse_time(const std::string& text) {
  double total = 0.0;
  size_t start = 0;
  int parts = 0;
  while (true) {
    const size_t colon = text.find(':', start);
    const std::string part = text.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
    size_t used = 0;
    double v = 0.0;
    try {
      v = std::stod(part, &used);
    } catch (const std::exception&) {
      return std::nullopt;
    }
    if (used != part.size() || part.empty() || !std::isfinite(v) || v < 0) return std::nullopt;
    total = total * 60.0 + v;
    if (++parts > 3) return std::nullopt;
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  return total;
}

CLI::Validator time_validator() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        return parse_time(text) ? std::string() : "must be a time: seconds (12.5) or [h:]m:s (1:02.5), got '" + text + "'";
      },
      "TIME");
}

// "00-01-02-500" for 62.5 s: the plant's own time format in crop names.
std::string time_name(GstClockTime t) {
  const uint64_t ms = t / GST_MSECOND;
  return fmt::format("{:02}-{:02}-{:02}-{:03}", ms / 3600000, ms / 60000 % 60, ms / 1000 % 60, ms % 1000);
}

// Mean absolute difference per pixel and channel, in 8-bit levels.
double mean_abs_diff(const cv::Mat& a, const cv::Mat& b) {
  if (a.size() != b.size() || a.type() != b.type()) return 255.0;
  return cv::norm(a, b, cv::NORM_L1) / static_cast<double>(a.total() * a.channels());
}

struct PipelineDeleter {
  void operator()(GstElement* p) const {
    gst_element_set_state(p, GST_STATE_NULL);
    gst_object_unref(p);
  }
};

// The first error or EOS waiting on the bus (nullptr when none): errors
// become exceptions naming the video.
void check_bus(GstElement* pipe, const std::string& video, bool* eos) {
  GstBus* bus = gst_element_get_bus(pipe);
  while (GstMessage* m = gst_bus_pop_filtered(bus, static_cast<GstMessageType>(GST_MESSAGE_ERROR | GST_MESSAGE_EOS))) {
    if (GST_MESSAGE_TYPE(m) == GST_MESSAGE_EOS) {
      *eos = true;
      gst_message_unref(m);
      continue;
    }
    GError* err = nullptr;
    gchar* dbg = nullptr;
    gst_message_parse_error(m, &err, &dbg);
    const std::string what = err ? err->message : "unknown error";
    g_clear_error(&err);
    g_free(dbg);
    gst_message_unref(m);
    gst_object_unref(bus);
    throw std::runtime_error(video + ": cannot decode: " + what);
  }
  gst_object_unref(bus);
}

}  // namespace

CLI::App* add_extract_command(CLI::App& app, ExtractCommand& c) {
  auto* x = app.add_subcommand(
      "extract",
      "Write every well's crop from a recording, cut by the element's own crop code (the crop extracted is the crop "
      "`wellmonitor` scores in that frame), as PNG files named <well>_<HH-MM-SS-mmm>.png by stream time. A well "
      "that did not change since its last written crop is skipped (--all writes every one). With --model it also "
      "writes every written crop's score to OUT/scores.csv (file,well,stream_time,frame,score).");
  x->add_option("--video", c.video, "Recording to read (any file decodebin reads)")->required();
  x->add_option("--wells", c.wells, "Well layout file (as the element's `wells`)")->required();
  x->add_option("--out", c.out, "Folder to write the crops into (made when missing)")->required();
  x->add_option("--every", c.every, "Analyse every Nth frame (as the element's `interval`)")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  x->add_option("--from", c.from, "Start at this stream time: seconds (12.5) or [h:]m:s (1:02.5)")->check(time_validator());
  x->add_option("--to", c.to, "Stop after this stream time (same forms)")->check(time_validator());
  x->add_option("--model", c.model, "Also score every written crop with this model (scores.csv)")->check(CLI::ExistingFile);
  x->add_flag("--all", c.all, "Write every crop, also those of wells that did not change");
  x->add_option("--min-change", c.min_change,
                "A well's crop is written when it differs from the well's last written crop by at least this mean "
                "absolute difference (8-bit levels per pixel and channel)")
      ->check(CLI::Range(0.0, 255.0))
      ->capture_default_str();
  x->add_option("--device", c.common.device, "Where --model runs: auto (CUDA when available), cpu or cuda")
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}))
      ->capture_default_str();
  x->add_option("--threads", c.common.threads, "CPU threads for LibTorch (0 = all cores)")
      ->check(CLI::Range(0, 256))
      ->capture_default_str();
  x->add_flag("-q,--quiet", c.common.quiet, "No progress display");
  return x;
}

int run_extract(const ExtractCommand& c) {
  return guarded([&]() -> int {
    const WellLayout layout = load_layout(c.wells);
    if (layout.wells.empty()) throw std::runtime_error(c.wells + ": names no wells");
    if (!fs::is_regular_file(c.video)) throw std::runtime_error(c.video + ": no such file");
    const double from_s = c.from.empty() ? 0.0 : *parse_time(c.from);
    const double to_s = c.to.empty() ? -1.0 : *parse_time(c.to);
    if (to_s >= 0 && to_s < from_s) throw std::runtime_error("--to " + c.to + " is before --from " + c.from);

    std::unique_ptr<Detector> detector;
    if (!c.model.empty()) {
      setup_runtime(c.common);
      detector = std::make_unique<Detector>(Detector::open(c.model, c.common.device));
    }
    std::error_code ec;
    fs::create_directories(c.out, ec);
    if (!fs::is_directory(c.out)) throw std::runtime_error(c.out + ": cannot make the folder");

    gst_init(nullptr, nullptr);
    GError* err = nullptr;
    std::unique_ptr<GstElement, PipelineDeleter> pipe(gst_parse_launch(
        fmt::format("filesrc name=src ! decodebin ! videoconvert ! appsink name=sink sync=false caps=\"{}\"",
                    kElementCaps)
            .c_str(),
        &err));
    if (!pipe || err) {
      const std::string what = err ? err->message : "unknown error";
      g_clear_error(&err);
      throw std::runtime_error("cannot build the decoding pipeline: " + what);
    }
    GstElement* src = gst_bin_get_by_name(GST_BIN(pipe.get()), "src");
    g_object_set(src, "location", c.video.c_str(), nullptr);
    gst_object_unref(src);
    GstElement* sink = gst_bin_get_by_name(GST_BIN(pipe.get()), "sink");
    std::unique_ptr<GstElement, void (*)(GstElement*)> sink_ref(sink, [](GstElement* e) { gst_object_unref(e); });

    // Preroll, then seek to --from (accurate: the first frame is the one at or after it).
    gst_element_set_state(pipe.get(), GST_STATE_PAUSED);
    if (gst_element_get_state(pipe.get(), nullptr, nullptr, 60 * GST_SECOND) == GST_STATE_CHANGE_FAILURE) {
      bool eos = false;
      check_bus(pipe.get(), c.video, &eos);
      throw std::runtime_error(c.video + ": cannot decode");
    }
    gint64 duration = -1;
    gst_element_query_duration(pipe.get(), GST_FORMAT_TIME, &duration);
    if (from_s > 0) {
      if (!gst_element_seek_simple(pipe.get(), GST_FORMAT_TIME,
                                   static_cast<GstSeekFlags>(GST_SEEK_FLAG_FLUSH | GST_SEEK_FLAG_ACCURATE),
                                   static_cast<gint64>(from_s * GST_SECOND)))
        throw std::runtime_error(c.video + ": cannot seek to " + c.from);
      gst_element_get_state(pipe.get(), nullptr, nullptr, 60 * GST_SECOND);
    }
    gst_element_set_state(pipe.get(), GST_STATE_PLAYING);

    const double end_s = to_s >= 0 ? to_s : (duration > 0 ? static_cast<double>(duration) / GST_SECOND : 0.0);
    Progress progress("extract", static_cast<int64_t>(std::max(0.0, end_s - from_s) * 1000.0), !c.common.quiet);

    std::unique_ptr<std::ofstream> csv;
    const fs::path csv_path = fs::path(c.out) / "scores.csv";
    if (detector) {
      csv = std::make_unique<std::ofstream>(csv_path);
      if (!*csv) throw std::runtime_error(csv_path.string() + ": cannot write");
      *csv << "file,well,stream_time,frame,score\n";
    }

    WellCrops crops;
    GstCaps* configured = nullptr;
    std::vector<cv::Mat> last(layout.wells.size());
    std::map<std::string, int> written_per_well;
    int64_t frames = 0, analysed = 0, written = 0, skipped = 0;
    GstClockTime first_time = GST_CLOCK_TIME_NONE, last_time = GST_CLOCK_TIME_NONE;
    double max_score = -1.0;
    std::string max_file;
    bool eos = false;
    while (!eos) {
      GstSample* sample = nullptr;
      g_signal_emit_by_name(sink, "pull-sample", &sample);
      if (!sample) {
        check_bus(pipe.get(), c.video, &eos);
        break;  // end of stream
      }
      std::unique_ptr<GstSample, void (*)(GstSample*)> hold(sample, [](GstSample* s) { gst_sample_unref(s); });
      GstBuffer* buf = gst_sample_get_buffer(sample);
      GstCaps* caps = gst_sample_get_caps(sample);
      const GstSegment* seg = gst_sample_get_segment(sample);
      const GstClockTime pts = GST_BUFFER_PTS(buf);
      const GstClockTime t = seg && GST_CLOCK_TIME_IS_VALID(pts)
                                 ? gst_segment_to_stream_time(seg, GST_FORMAT_TIME, pts)
                                 : pts;
      if (GST_CLOCK_TIME_IS_VALID(t) && static_cast<double>(t) < from_s * GST_SECOND - 0.5 * GST_MSECOND) continue;
      if (to_s >= 0 && GST_CLOCK_TIME_IS_VALID(t) && static_cast<double>(t) > to_s * GST_SECOND + 0.5 * GST_MSECOND)
        break;
      const int64_t index = frames++;
      if (index % c.every != 0) continue;

      GstVideoInfo info;
      if (!caps || !gst_video_info_from_caps(&info, caps)) throw std::runtime_error(c.video + ": frames without video caps");
      if (!configured || !gst_caps_is_equal(configured, caps)) {
        const std::vector<cv::Rect> boxes = layout.scaled(info.width, info.height);
        for (size_t i = 0; i < boxes.size(); ++i)
          if (boxes[i].width <= 0 || boxes[i].height <= 0)
            throw std::runtime_error(fmt::format("{}: well '{}' has no pixels in a {}x{} frame", c.wells,
                                                 layout.wells[i].id, info.width, info.height));
        crops.configure(&info, boxes);
        if (configured) gst_caps_unref(configured);
        configured = gst_caps_ref(caps);
      }
      GstVideoFrame frame;
      if (!gst_video_frame_map(&frame, &info, buf, GST_MAP_READ)) throw std::runtime_error(c.video + ": cannot map a frame");
      const std::vector<cv::Mat>& cut = crops.extract(&frame);
      std::vector<double> scores;
      if (detector) scores = detector->score(cut);
      const std::string when = GST_CLOCK_TIME_IS_VALID(t) ? time_name(t) : fmt::format("frame-{:06}", index);
      for (size_t i = 0; i < cut.size(); ++i) {
        if (!c.all && !last[i].empty() && mean_abs_diff(cut[i], last[i]) < c.min_change) {
          ++skipped;
          continue;
        }
        const std::string name = layout.wells[i].id + "_" + when + ".png";
        const fs::path path = fs::path(c.out) / name;
        if (!cv::imwrite(path.string(), cut[i])) {
          gst_video_frame_unmap(&frame);
          throw std::runtime_error(path.string() + ": cannot write");
        }
        last[i] = cut[i].clone();
        ++written;
        ++written_per_well[layout.wells[i].id];
        if (csv) {
          *csv << fmt::format("{},{},{:.3f},{},{:.9g}\n", name, layout.wells[i].id,
                              GST_CLOCK_TIME_IS_VALID(t) ? static_cast<double>(t) / GST_SECOND : -1.0, index,
                              scores[i]);
          if (scores[i] > max_score) max_score = scores[i], max_file = name;
        }
      }
      gst_video_frame_unmap(&frame);
      ++analysed;
      if (GST_CLOCK_TIME_IS_VALID(t)) {
        if (!GST_CLOCK_TIME_IS_VALID(first_time)) first_time = t;
        last_time = t;
        progress.update(static_cast<int64_t>((static_cast<double>(t) / GST_SECOND - from_s) * 1000.0),
                        fmt::format("{} frames, {} crops written, {} unchanged", analysed, written, skipped));
      }
    }
    if (configured) gst_caps_unref(configured);
    progress.finish(fmt::format("{} frames, {} crops written, {} unchanged", analysed, written, skipped));
    if (csv) {
      csv->flush();
      if (!*csv) throw std::runtime_error(csv_path.string() + ": cannot write");
    }
    if (analysed == 0) throw std::runtime_error(c.video + ": no frames in the range asked for");

    fmt::print("extract: {} of {} frames analysed ({:.3f}-{:.3f} s), {} wells: {} crops written to {}, {} "
               "unchanged crops skipped{}\n",
               analysed, frames, static_cast<double>(first_time) / GST_SECOND,
               static_cast<double>(last_time) / GST_SECOND, layout.wells.size(), written, c.out, skipped,
               c.all ? "" : " (--all writes them)");
    int fewest = INT32_MAX;
    std::string fewest_well;
    for (const auto& w : layout.wells) {
      const int n = written_per_well[w.id];
      if (n < fewest) fewest = n, fewest_well = w.id;
    }
    fmt::print("  per well: {:.1f} crops on average, fewest {} ({})\n",
               static_cast<double>(written) / static_cast<double>(layout.wells.size()), fewest, fewest_well);
    if (csv)
      fmt::print("  scores: {} (model {}, threshold {:.4f}; highest {:.4f}: {})\n", csv_path.string(), c.model,
                 detector->threshold(), max_score, max_file);
    return 0;
  });
}

}  // namespace wellmonitor
