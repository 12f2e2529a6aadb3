/* wellpublish's side of the streaming thread: metas and camera events in,
 * messages out. */

#include "well-events.h"

#include <algorithm>
#include <memory>

namespace wellpublish {

namespace {

/* The wells of the buffer as the publisher counts them: with an index (a
 * meta of a negative id is no well of a layout) and an id. */
bool
read_wells (GstBuffer * buffer, std::vector<wellmonitor::WellResult> & wells)
{
  wellmonitor::well_meta_read (buffer, wells);
  wells.erase (std::remove_if (wells.begin (), wells.end (),
          [](const wellmonitor::WellResult & w) { return w.index < 0; }),
      wells.end ());
  for (wellmonitor::WellResult & w : wells)
    if (!w.named)
      w.id = std::to_string (w.index);
  return !wells.empty ();
}

/* Wells beyond this index are no layout's (a layout has at most 256). */
constexpr gint kMaxWells = 4096;

}  // namespace

void
WellEvents::reset ()
{
  alarms_ = wellmonitor::AlarmLifecycle ();
  wells_.clear ();
  last_.clear ();
  times_ = wellmonitor::BufferTimes ();
  frames_ = 0;
  seq_ = 0;
  lost_us_ = 0;
}

Message
WellEvents::event_message (const GstVideoFrame * frame,
    const wellmonitor::WellResult & w, const wellmonitor::AlarmChange & c,
    const Settings & s, gint64 wall_us, guint64 index)
{
  std::shared_ptr<EventData> e = capture_event (frame, w, c, s.event, ++seq_,
      wall_us, times_, index);
  Message m;
  m.topic = event_topic (s.topic, s.event.camera, w.id);
  m.qos = s.qos;
  m.time_us = wall_us;
  m.prepare = [e](Message & msg) {
    msg.payload = render_event (*e);
  };
  if (log)
    log (c.alarm ? "alarm at well " + w.id + ", frame " + std::to_string (index)
        + " (event " + c.event_id + ")" : "clear at well " + w.id + ", frame "
        + std::to_string (index) + " (" + e->reason + ")");
  return m;
}

std::vector<Message>
WellEvents::frame (const GstVideoFrame * frame, const GstSegment * segment,
    const Settings & s, gint64 wall_us)
{
  std::vector<Message> out;
  const guint64 index = frames_++;
  if (!read_wells (frame->buffer, wells_))
    return out;

  times_ = wellmonitor::buffer_times (segment, GST_BUFFER_PTS (frame->buffer));
  wellmonitor::AlarmTime when;
  when.wall_us = wall_us;
  when.running_ns = times_.running_time;
  alarms_.set_scope (s.event.camera);

  bool analysed = false;
  for (const wellmonitor::WellResult & w : wells_) {
    if (w.index >= kMaxWells)
      continue;
    analysed = analysed || w.analysed;
    if ((size_t) w.index >= last_.size ())
      last_.resize (w.index + 1);
    last_[w.index] = w;
    const wellmonitor::AlarmChange *change = alarms_.follow ((size_t) w.index,
        w.id, w.score, w.anomaly, w.alarm, when);
    if (change)
      out.push_back (event_message (frame, w, *change, s, wall_us, index));
  }

  if (s.publish_scores && analysed) {
    Message m;
    m.topic = camera_topic (s.topic, s.event.camera, "scores");
    m.qos = s.qos;
    m.droppable = true;
    m.time_us = wall_us;
    m.payload = render_scores (s.event.camera, ++seq_, wall_us, times_, index,
        wells_);
    out.push_back (std::move (m));
  }
  return out;
}

std::vector<Message>
WellEvents::end_all (wellmonitor::AlarmEnd reason, const Settings & s,
    gint64 wall_us)
{
  std::vector<Message> out;
  const guint64 index = frames_ > 0 ? frames_ - 1 : 0;
  for (const wellmonitor::AlarmChange & c : alarms_.end_all (reason))
    if (c.well < last_.size ())
      out.push_back (event_message (nullptr, last_[c.well], c, s, wall_us,
              index));
  return out;
}

std::vector<Message>
WellEvents::camera (const std::string & kind, const std::string & reason,
    const Settings & s, gint64 wall_us)
{
  std::vector<Message> out;
  double down_s = -1;
  if (kind == "lost" || kind == "obscured") {
    out = end_all (kind == "lost" ? wellmonitor::AlarmEnd::kCameraLost :
        wellmonitor::AlarmEnd::kCameraObscured, s, wall_us);
    if (!lost_us_)
      lost_us_ = wall_us;
  } else if (lost_us_) {
    down_s = (double) (wall_us - lost_us_) / G_USEC_PER_SEC;
    lost_us_ = 0;
  }
  Message m;
  m.topic = camera_topic (s.topic, s.event.camera, "camera");
  m.qos = s.qos;
  m.time_us = wall_us;
  m.payload = render_camera (s.event.camera, kind, reason, ++seq_, wall_us,
      down_s);
  if (log)
    log ("camera " + kind + (reason.empty ()? "" : " (" + reason + ")"));
  out.push_back (std::move (m));
  return out;
}

}  // namespace wellpublish
