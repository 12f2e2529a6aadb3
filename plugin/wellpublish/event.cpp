/* wellpublish's messages: events, scores, topics. */

#include "event.h"

#include "frame-writer.h"

#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <exception>
#include <stdexcept>

namespace wellpublish {

EventData::~EventData ()
{
  if (frame_copy)
    gst_buffer_unref (frame_copy);
}

std::string
iso8601 (gint64 unix_us)
{
  const time_t s = (time_t) (unix_us / G_USEC_PER_SEC);
  struct tm tm;
  gmtime_r (&s, &tm);
  char buf[64];
  const size_t n = strftime (buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  g_snprintf (buf + n, sizeof buf - n, ".%03dZ",
      (int) ((unix_us % G_USEC_PER_SEC) / 1000));
  return buf;
}

std::string
safe_name (const std::string & s)
{
  std::string out = s.empty () ? "_" : s;
  for (char &c : out)
    if (!g_ascii_isalnum (c) && c != '-' && c != '_' && c != '.')
      c = '_';
  return out;
}

std::string
camera_topic (const std::string & prefix, const std::string & camera,
    const std::string & leaf)
{
  return prefix + "/" + safe_name (camera) + "/" + leaf;
}

std::string
event_topic (const std::string & prefix, const std::string & camera,
    const std::string & well)
{
  return camera_topic (prefix, camera, "events/" + safe_name (well));
}

std::string
with_delay (const std::string & payload, double delay_s)
{
  nlohmann::ordered_json j = nlohmann::ordered_json::parse (payload, nullptr,
      false);
  if (!j.is_object ())
    return payload;
  j["delay_s"] = std::round (std::max (0.0, delay_s) * 1000.0) / 1000.0;
  return j.dump ();
}

namespace {

nlohmann::ordered_json
time_value (GstClockTime t)
{
  if (!GST_CLOCK_TIME_IS_VALID (t))
    return nullptr;
  return (guint64) t;
}

nlohmann::ordered_json
box_json (const cv::Rect & b)
{
  return { {"x", b.x}, {"y", b.y}, {"width", b.width}, {"height", b.height} };
}

void
add_times (nlohmann::ordered_json & j, gint64 wall_us,
    const wellmonitor::BufferTimes & t, guint64 frame)
{
  j["time"] = iso8601 (wall_us);
  j["stream_time"] = GST_CLOCK_TIME_IS_VALID (t.stream_time) ?
      nlohmann::ordered_json ((double) t.stream_time / GST_SECOND) :
      nlohmann::ordered_json ();
  j["stream_time_ns"] = time_value (t.stream_time);
  j["running_time_ns"] = time_value (t.running_time);
  j["pts_ns"] = time_value (t.timestamp);
  j["frame"] = frame;
}

}  // namespace

std::shared_ptr<EventData>
capture_event (const GstVideoFrame * frame, const wellmonitor::WellResult & w,
    const wellmonitor::AlarmChange & change, const EventSettings & s,
    guint64 seq, gint64 wall_us, const wellmonitor::BufferTimes & times,
    guint64 index)
{
  auto e = std::make_shared<EventData> ();
  const cv::Rect box (w.x, w.y, w.width, w.height);
  e->kind = change.alarm ? "alarm" : "clear";
  if (!change.alarm)
    e->reason = wellmonitor::alarm_end_name (change.reason);
  e->camera = s.camera;
  e->well = w.id;
  e->event_id = change.event_id;
  e->seq = seq;
  e->score = w.score;
  e->threshold = w.threshold;
  e->top = change.top_score;
  e->box = box;
  e->wall_us = wall_us;
  e->times = times;
  e->frame = index;
  e->quality = s.quality;
  e->snapshot = s.snapshot && frame;

  if (e->snapshot) {
    /* the well and some of its surroundings, inside the frame */
    const int fw = GST_VIDEO_FRAME_WIDTH (frame);
    const int fh = GST_VIDEO_FRAME_HEIGHT (frame);
    const int mx = (int) std::lround (box.width * s.margin);
    const int my = (int) std::lround (box.height * s.margin);
    const cv::Rect sb = cv::Rect (box.x - mx, box.y - my,
        box.width + 2 * mx, box.height + 2 * my) & cv::Rect (0, 0, fw, fh);
    e->snapshot_box = sb;
    try {
      if (sb.empty ())
        throw std::runtime_error ("the well's box is outside the frame");
      e->crop = frame_to_bgr (frame, sb);
    } catch (const std::exception & ex) {
      e->snapshot_error = ex.what ();
    }
  }
  if (!s.frame_dir.empty () && frame) {
    e->frame_dir = s.frame_dir;
    e->info = frame->info;
    e->frame_copy = gst_buffer_copy_deep (frame->buffer);
  }
  return e;
}

std::shared_ptr<ViewData>
capture_view (const GstVideoFrame * frame, const cv::Rect & box,
    const std::string & label, int width, int quality)
{
  const int fw = GST_VIDEO_FRAME_WIDTH (frame);
  const int fh = GST_VIDEO_FRAME_HEIGHT (frame);
  if ((box & cv::Rect (0, 0, fw, fh)).empty () || width <= 0)
    return nullptr;
  /* about eight wells wide, 16:9, centred on the well and moved inside */
  int vw = std::max (box.width * 8, box.height * 8 * 16 / 9);
  vw = std::min (fw, (vw + 15) / 16 * 16);      /* exactly 16:9 */
  int vh = std::min (fh, vw * 9 / 16);
  vw = std::max (vw, std::min (fw, box.width + 4));
  vh = std::max (vh, std::min (fh, box.height + 4));
  int x = box.x + box.width / 2 - vw / 2;
  int y = box.y + box.height / 2 - vh / 2;
  x = std::clamp (x, 0, fw - vw);
  y = std::clamp (y, 0, fh - vh);
  auto v = std::make_shared<ViewData> ();
  try {
    v->view = frame_to_bgr (frame, cv::Rect (x, y, vw, vh));
  } catch (const std::exception &) {
    return nullptr;
  }
  v->well = cv::Rect (box.x - x, box.y - y, box.width, box.height);
  v->label = label;
  v->width = width;
  v->quality = quality;
  return v;
}

std::string
render_view_jpeg (const ViewData & v)
{
  cv::Mat out;
  const double scale = (double) v.width / v.view.cols;
  cv::resize (v.view, out, cv::Size (v.width, std::max (1,
              (int) std::lround (v.view.rows * scale))), 0, 0,
      scale > 1.0 ? cv::INTER_LINEAR : cv::INTER_AREA);
  if (out.channels () == 1)
    cv::cvtColor (out, out, cv::COLOR_GRAY2BGR);
  const cv::Rect w (cv::Point ((int) std::lround (v.well.x * scale),
          (int) std::lround (v.well.y * scale)),
      cv::Point ((int) std::lround ((v.well.x + v.well.width) * scale),
          (int) std::lround ((v.well.y + v.well.height) * scale)));
  const int t = std::max (2, v.width / 160);
  const cv::Rect outer (w.x - 2 * t, w.y - 2 * t, w.width + 4 * t,
      w.height + 4 * t);
  cv::rectangle (out, outer, cv::Scalar (255, 255, 255), t);
  cv::rectangle (out, w, cv::Scalar (0, 0, 255), t);
  const double font = std::max (0.5, v.width / 800.0);
  int base = 0;
  const cv::Size ts = cv::getTextSize (v.label, cv::FONT_HERSHEY_SIMPLEX,
      font, t, &base);
  /* the label above the well, or below it at the top edge */
  int ty = outer.y - t - 2;
  if (ty - ts.height < 0)
    ty = outer.y + outer.height + ts.height + t + 2;
  const int tx = std::clamp (outer.x, 0, std::max (0, out.cols - ts.width));
  cv::rectangle (out, cv::Rect (tx - 2, ty - ts.height - 2, ts.width + 4,
          ts.height + base + 4), cv::Scalar (0, 0, 0), cv::FILLED);
  cv::putText (out, v.label, cv::Point (tx, ty), cv::FONT_HERSHEY_SIMPLEX,
      font, cv::Scalar (255, 255, 255), t, cv::LINE_AA);
  const std::vector<uchar> jpeg = encode_jpeg (out, v.quality);
  return std::string (jpeg.begin (), jpeg.end ());
}

std::string
render_event (const EventData & e)
{
  nlohmann::ordered_json j;
  j["version"] = 1;
  j["kind"] = e.kind;
  j["camera"] = e.camera;
  j["well"] = e.well;
  j["event_id"] = e.event_id;
  if (!e.reason.empty ())
    j["reason"] = e.reason;
  j["seq"] = e.seq;
  j["score"] = e.score;
  j["threshold"] = e.threshold;
  j["top_score"] = e.top;
  j["box"] = box_json (e.box);
  add_times (j, e.wall_us, e.times, e.frame);
  if (e.snapshot) {
    if (!e.crop.empty ()) {
      try {
        const std::vector<uchar> data = encode_jpeg (e.crop, e.quality);
        gchar *b64 = g_base64_encode (data.data (), data.size ());
        j["snapshot"] = {
          {"content_type", "image/jpeg"},
          {"box", box_json (e.snapshot_box)},
          {"width", e.crop.cols}, {"height", e.crop.rows},
          {"data", b64},
        };
        g_free (b64);
      } catch (const std::exception & ex) {
        j["snapshot_error"] = ex.what ();
      }
    } else {
      j["snapshot_error"] = e.snapshot_error;
    }
  }
  if (!e.frame_dir.empty ()) {
    const std::string name = safe_name (e.camera) + "_" + safe_name (e.well) +
        "_" + std::to_string (e.wall_us / 1000) + "_" + e.kind + ".jpg";
    gchar *path = g_build_filename (e.frame_dir.c_str (), name.c_str (), NULL);
    const std::string p = path;
    g_free (path);
    try {
      if (!e.frame_copy)
        throw std::runtime_error ("the frame could not be copied");
      write_frame_jpeg (p, e.frame_copy, e.info, e.quality);
      j["frame_path"] = p;
    } catch (const std::exception & ex) {
      j["frame_path"] = nullptr;
      j["frame_error"] = p + ": " + ex.what ();
    }
  }
  return j.dump ();
}

std::string
render_camera (const std::string & camera, const std::string & kind,
    const std::string & reason, guint64 seq, gint64 wall_us, double down_s,
    const CameraShift * shift)
{
  nlohmann::ordered_json j;
  j["version"] = 1;
  j["kind"] = kind;
  j["camera"] = camera;
  if (!reason.empty ())
    j["reason"] = reason;
  j["seq"] = seq;
  j["time"] = iso8601 (wall_us);
  if (down_s >= 0)
    j["down_s"] = std::round (down_s * 1000.0) / 1000.0;
  if (shift) {
    j["dx"] = std::round (shift->dx * 10.0) / 10.0;
    j["dy"] = std::round (shift->dy * 10.0) / 10.0;
    j["confidence"] = std::round (shift->confidence * 1000.0) / 1000.0;
    j["followed"] = shift->followed;
  }
  return j.dump ();
}

std::string
render_scores (const std::string & camera, guint64 seq, gint64 wall_us,
    const wellmonitor::BufferTimes & times, guint64 frame,
    const std::vector<wellmonitor::WellResult> & wells)
{
  nlohmann::ordered_json j;
  j["version"] = 1;
  j["kind"] = "scores";
  j["camera"] = camera;
  j["seq"] = seq;
  add_times (j, wall_us, times, frame);
  j["threshold"] = wells.empty () ? 0.0 : wells.front ().threshold;
  nlohmann::ordered_json scores = nlohmann::ordered_json::object ();
  for (const wellmonitor::WellResult & w : wells)
    scores[w.id] = w.score;
  j["scores"] = std::move (scores);
  return j.dump ();
}

}  // namespace wellpublish
