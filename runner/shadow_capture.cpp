#include "shadow_capture.h"

#include "text_file.h"

#include "buffer-times.h"
#include "well-meta.h"

#include <gst/video/video.h>
#include <unistd.h>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <vector>

namespace wellmonitor::run {

namespace {

int64_t wall_ms_now() { return g_get_real_time() / 1000; }

// Appends `text` to `path` in one write; false when it could not.
bool append(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::app | std::ios::binary);
  return f << text && f.flush();
}

// The frame of `sample` as BGR pixels (empty when it cannot be converted).
cv::Mat to_bgr(GstSample* sample) {
  GstCaps* caps = gst_caps_new_simple("video/x-raw", "format", G_TYPE_STRING, "BGR", nullptr);
  GError* err = nullptr;
  GstSample* bgr = gst_video_convert_sample(sample, caps, 10 * GST_SECOND, &err);
  gst_caps_unref(caps);
  if (err) g_error_free(err);
  if (!bgr) return {};
  cv::Mat out;
  GstVideoInfo info;
  GstMapInfo map;
  GstBuffer* buffer = gst_sample_get_buffer(bgr);
  if (gst_video_info_from_caps(&info, gst_sample_get_caps(bgr)) && gst_buffer_map(buffer, &map, GST_MAP_READ)) {
    out = cv::Mat(GST_VIDEO_INFO_HEIGHT(&info), GST_VIDEO_INFO_WIDTH(&info), CV_8UC3, map.data,
                  GST_VIDEO_INFO_PLANE_STRIDE(&info, 0))
              .clone();
    gst_buffer_unmap(buffer, &map);
  }
  gst_sample_unref(bgr);
  return out;
}

std::string serialize(const GValue* v) {
  if (G_VALUE_HOLDS_STRING(v)) return g_value_get_string(v) ? g_value_get_string(v) : "";
  if (G_VALUE_HOLDS_DOUBLE(v) || G_VALUE_HOLDS_FLOAT(v)) {
    char buf[32];  // as a person writes it: 0.35, not 0.34999999999999998
    std::snprintf(buf, sizeof buf, "%.6g", G_VALUE_HOLDS_DOUBLE(v) ? g_value_get_double(v) : g_value_get_float(v));
    return buf;
  }
  gchar* s = gst_value_serialize(v);
  std::string out = s ? s : "";
  g_free(s);
  return out;
}

struct Rising {
  WellResult well;
  ShadowAlarm alarm;
};

}  // namespace

ShadowCapture::ShadowCapture(const RunOptions& o, std::string camera) : o_(o), paths_(o.shadow_dir) {
  const int64_t now = wall_ms_now();
  const std::time_t t = static_cast<std::time_t>(now / 1000);
  std::tm tm{};
  localtime_r(&t, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
  run_.id = std::string(stamp) + "-" + std::to_string(::getpid());
  run_.camera = std::move(camera);
  run_.source = o.input;
  run_.mode = mode_name(o.mode);
  run_.started = run_.updated = iso_local(now);
  worker_ = g_thread_pool_new(
      [](gpointer job, gpointer) {
        auto* f = static_cast<std::function<void()>*>(job);
        (*f)();
        delete f;
      },
      nullptr, 1, TRUE, nullptr);
}

ShadowCapture::~ShadowCapture() {
  if (worker_) g_thread_pool_free(worker_, FALSE, TRUE);
  if (monitor_) gst_object_unref(monitor_);
}

void ShadowCapture::post(std::function<void()> job) {
  g_thread_pool_push(worker_, new std::function<void()>(std::move(job)), nullptr);
}

bool ShadowCapture::attach(GstElement* monitor, std::string& error) {
  monitor_ = GST_ELEMENT(gst_object_ref(monitor));
  read_settings();
  if (GstPad* out = gst_element_get_static_pad(monitor, "src")) {
    gst_pad_add_probe(out, GST_PAD_PROBE_TYPE_BUFFER, on_buffer, this, nullptr);
    gst_object_unref(out);
  }
  std::lock_guard<std::mutex> lock(mutex_);
  std::string why;
  if (!write_whole(paths_.runs + "/" + run_.id + ".json", to_json(run_), why)) {
    error = "cannot write into the shadow folder '" + paths_.runs + "'";
    return false;
  }
  return true;
}

// wellmonitor's settings, as strings: the model and the decision rule in force.
void ShadowCapture::read_settings() {
  std::map<std::string, std::string> settings;
  guint n = 0;
  GParamSpec** specs = g_object_class_list_properties(G_OBJECT_GET_CLASS(monitor_), &n);
  for (guint i = 0; i < n; ++i) {
    const GParamSpec* p = specs[i];
    const GType t = G_TYPE_FUNDAMENTAL(p->value_type);
    if (!(p->flags & G_PARAM_READABLE) || g_str_equal(p->name, "name") || g_str_equal(p->name, "parent")) continue;
    if (t != G_TYPE_BOOLEAN && t != G_TYPE_INT && t != G_TYPE_UINT && t != G_TYPE_INT64 && t != G_TYPE_UINT64 &&
        t != G_TYPE_DOUBLE && t != G_TYPE_FLOAT && t != G_TYPE_STRING && t != G_TYPE_ENUM)
      continue;
    GValue v = G_VALUE_INIT;
    g_value_init(&v, p->value_type);
    g_object_get_property(G_OBJECT(monitor_), p->name, &v);
    settings[p->name] = serialize(&v);
    g_value_unset(&v);
  }
  g_free(specs);
  // the rule's alarm time, for the alarms' held levels
  const auto number = [&](const char* name) {
    const auto it = settings.find(name);
    return it == settings.end() ? 0.0 : std::atof(it->second.c_str());
  };
  levels_ = std::make_unique<HeldLevels>(number("alarm-seconds"), static_cast<int>(number("alarm-frames")));
  std::lock_guard<std::mutex> lock(mutex_);
  run_.monitor = settings;
  if (const auto it = settings.find("model"); it != settings.end()) run_.model = it->second;
}

void ShadowCapture::set_colour_matrix(const std::string& line) {
  std::lock_guard<std::mutex> lock(mutex_);
  run_.colour_matrix = line;
}

GstPadProbeReturn ShadowCapture::on_buffer(GstPad* pad, GstPadProbeInfo* info, gpointer data) {
  static_cast<ShadowCapture*>(data)->frame(pad, GST_PAD_PROBE_INFO_BUFFER(info));
  return GST_PAD_PROBE_OK;
}

// The streaming thread: counts the frame, and keeps it when a well goes into alarm on it.
void ShadowCapture::frame(GstPad* pad, GstBuffer* buffer) {
  const uint64_t index = frames_++;
  GstSegment segment;
  gst_segment_init(&segment, GST_FORMAT_TIME);
  if (GstEvent* ev = gst_pad_get_sticky_event(pad, GST_EVENT_SEGMENT, 0)) {
    gst_event_copy_segment(ev, &segment);
    gst_event_unref(ev);
  }
  const BufferTimes times = buffer_times(&segment, GST_BUFFER_PTS(buffer));
  std::vector<WellResult> wells;
  well_meta_read(buffer, wells);
  if (index == 0) read_settings();  // the element has started: its model is loaded
  std::vector<Rising> rising;
  std::vector<HeldLevels::Level> ended;
  const int64_t now = wall_ms_now();
  for (const WellResult& w : wells) {
    bool& was = in_alarm_[w.index];
    std::string raised;
    if (w.alarm && !was) {
      ShadowAlarm a;
      a.camera = run_.camera;
      a.well = w.id;
      a.id = shadow_alarm_id(w.id, now);
      a.wall_ms = now;
      if (GST_CLOCK_TIME_IS_VALID(times.stream_time)) a.stream_time_s = static_cast<double>(times.stream_time) / 1e9;
      a.frame = index;
      a.score = w.score;
      a.threshold = w.threshold;
      a.x = w.x, a.y = w.y, a.width = w.width, a.height = w.height;
      a.crop = "crops/" + a.id + ".png";
      a.snapshot = "snapshots/" + a.id + ".jpg";
      a.clip = "clips/" + a.id + ".ts";
      rising.push_back({w, a});
      raised = a.id;
    }
    was = w.alarm;
    if (levels_ && (w.analysed || !raised.empty()) && GST_CLOCK_TIME_IS_VALID(times.running_time))
      if (auto l = levels_->frame(w.index, static_cast<double>(times.running_time) / 1e9, w.score, w.alarm, raised))
        ended.push_back(*l);
  }
  if (!ended.empty()) keep_levels(std::move(ended));
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (GST_CLOCK_TIME_IS_VALID(times.running_time)) watch_.frame(static_cast<int64_t>(times.running_time));
    run_.frames = frames_;
    if (!wells.empty()) {
      if (run_.wells.empty())
        for (const WellResult& w : wells) run_.wells.push_back(w.id);
      run_.threshold = wells.front().threshold;
    }
    for (const Rising& r : rising)
      if (GST_CLOCK_TIME_IS_VALID(times.running_time))
        planner_.alarm(r.alarm.id, static_cast<int64_t>(times.running_time));
  }
  if (rising.empty()) return;
  alarms_ += rising.size();
  GstCaps* caps = gst_pad_get_current_caps(pad);
  GstSample* sample = gst_sample_new(buffer, caps, nullptr, nullptr);
  if (caps) gst_caps_unref(caps);
  post([this, sample, rising] {
    const cv::Mat frame = to_bgr(sample);
    gst_sample_unref(sample);
    for (const Rising& r : rising) {
      ShadowAlarm a = r.alarm;
      if (!frame.empty()) {
        const cv::Rect box = cv::Rect(a.x, a.y, a.width, a.height) & cv::Rect(0, 0, frame.cols, frame.rows);
        if (box.area() > 0 && !cv::imwrite(paths_.dir + "/" + a.crop, frame(box))) a.crop.clear();
        if (box.area() <= 0) a.crop.clear();
        cv::Mat marked = frame.clone();
        const int line = std::max(2, frame.rows / 300);
        const int pad_px = std::max(4, frame.rows / 150);
        cv::rectangle(marked, cv::Rect(box.x - pad_px, box.y - pad_px, box.width + 2 * pad_px, box.height + 2 * pad_px),
                      cv::Scalar(0, 0, 255), line);
        const double scale = std::max(0.5, frame.rows / 800.0);
        const cv::Point at(std::max(0, box.x - pad_px), std::max(int(20 * scale), box.y - pad_px - line - 4));
        cv::putText(marked, a.well + " (shadow alarm)", at, cv::FONT_HERSHEY_SIMPLEX, scale, cv::Scalar(0, 0, 0),
                    line + 2, cv::LINE_AA);
        cv::putText(marked, a.well + " (shadow alarm)", at, cv::FONT_HERSHEY_SIMPLEX, scale, cv::Scalar(0, 0, 255),
                    line, cv::LINE_AA);
        if (!cv::imwrite(paths_.dir + "/" + a.snapshot, marked, {cv::IMWRITE_JPEG_QUALITY, 85})) a.snapshot.clear();
      } else {
        a.crop.clear();
        a.snapshot.clear();
      }
      bool kept = !a.crop.empty() && !a.snapshot.empty();
      if (!a.crop.empty()) {
        if (::access(paths_.scores.c_str(), F_OK) != 0) kept = append(paths_.scores, "file,well,score\n") && kept;
        kept = append(paths_.scores, scores_csv_line(a)) && kept;
      }
      kept = append(paths_.alarms, to_json_line(a)) && kept;
      if (kept)
        std::fprintf(stderr, "%s: shadow alarm %s kept in %s\n", o_.name.c_str(), a.id.c_str(), paths_.dir.c_str());
      else  // a full disk, a folder taken away: said for every alarm it happens to
        std::fprintf(stderr, "%s: warning: shadow alarm %s (well %s) could not be kept whole in %s\n", o_.name.c_str(),
                     a.id.c_str(), a.well.c_str(), paths_.dir.c_str());
    }
  });
}

void ShadowCapture::make_clip(const ClipPlanner::Clip& clip) {
  if (clip.segments.empty()) return;
  const std::string path = paths_.clips + "/" + clip.alarm_id + ".ts";
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  // MPEG-TS segments of one recording play back to back when joined
  for (const auto& s : clip.segments) {
    std::ifstream in(s, std::ios::binary);
    if (in) out << in.rdbuf();
  }
}

void ShadowCapture::segment_opened(const std::string& location, int64_t running_ns) {
  std::vector<ClipPlanner::Clip> ready;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ready = planner_.segment_opened(location, running_ns);
  }
  for (const auto& c : ready) post([this, c] { make_clip(c); });
}

void ShadowCapture::write_run(bool finished) {
  std::lock_guard<std::mutex> lock(mutex_);
  run_.finished = finished;
  run_.updated = iso_local(wall_ms_now());
  run_.watched_s = watch_.watched_s();
  run_.alarms = alarms_.load();
  std::string why;  // said once, at the start (attach); a later failure loses at most a minute of the record
  write_whole(paths_.runs + "/" + run_.id + ".json", to_json(run_), why);
}

void ShadowCapture::tick(double now_s) {
  if (now_s < next_record_) return;
  next_record_ = now_s + 60;
  post([this] { write_run(false); });
}

void ShadowCapture::keep_levels(std::vector<HeldLevels::Level> levels) {
  post([this, levels] {
    for (const auto& l : levels)
      if (!append(paths_.levels, to_json_line(l)))
        std::fprintf(stderr, "%s: warning: the level of shadow alarm %s could not be kept in %s\n", o_.name.c_str(),
                     l.alarm_id.c_str(), paths_.dir.c_str());
  });
}

void ShadowCapture::finish() {
  std::vector<ClipPlanner::Clip> ready;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ready = planner_.finish();
  }
  if (levels_) keep_levels(levels_->finish());  // the alarms still open
  for (const auto& c : ready) post([this, c] { make_clip(c); });
  g_thread_pool_free(worker_, FALSE, TRUE);  // every capture and clip done
  worker_ = nullptr;
  write_run(true);
}

}  // namespace wellmonitor::run
