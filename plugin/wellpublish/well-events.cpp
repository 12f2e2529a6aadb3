/* wellpublish's side of the streaming thread: metas in, messages out. */

#include "well-events.h"

#include "buffer-times.h"
#include "well-meta.h"

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

}  // namespace

void
WellEvents::reset ()
{
  alarms_ = wellmonitor::AlarmLifecycle ();
  wells_.clear ();
  frames_ = 0;
  seq_ = 0;
}

void
WellEvents::flush ()
{
  alarms_.end_all (wellmonitor::AlarmEnd::kFlush);
}

std::vector<Message>
WellEvents::frame (const GstVideoFrame * frame, const GstSegment * segment,
    const Settings & s, gint64 wall_us)
{
  std::vector<Message> out;
  const guint64 index = frames_++;
  if (GST_BUFFER_IS_DISCONT (frame->buffer) && index > 0) {
    /* as wellmonitor: the alarms start again, no clear */
    alarms_.end_all (wellmonitor::AlarmEnd::kGap);
  }
  if (!read_wells (frame->buffer, wells_))
    return out;

  const wellmonitor::BufferTimes times = wellmonitor::buffer_times (segment,
      GST_BUFFER_PTS (frame->buffer));
  wellmonitor::AlarmTime when;
  when.wall_us = wall_us;
  when.running_ns = times.running_time;
  alarms_.set_scope (s.event.camera);

  bool analysed = false;
  for (const wellmonitor::WellResult & w : wells_) {
    if (w.index >= 4096)
      continue;
    analysed = analysed || w.analysed;
    const wellmonitor::AlarmChange *change = alarms_.follow ((size_t) w.index,
        w.id, w.score, w.anomaly, w.alarm, when);
    if (!change)
      continue;
    std::shared_ptr<EventData> e = capture_event (frame, w, *change, s.event,
        ++seq_, wall_us, times, index);
    Message m;
    m.topic = camera_topic (s.topic, s.event.camera, safe_name (w.id));
    m.qos = s.qos;
    m.time_us = wall_us;
    m.prepare = [e](Message & msg) {
      msg.payload = render_event (*e);
    };
    if (log)
      log (change->alarm ? "alarm at well " + w.id + ", frame " +
          std::to_string (index) + " (event " + change->event_id + ")" :
          "clear at well " + w.id + ", frame " + std::to_string (index));
    out.push_back (std::move (m));
  }

  if (s.publish_scores && analysed) {
    Message m;
    m.topic = camera_topic (s.topic, s.event.camera, "scores");
    m.qos = s.qos;
    m.droppable = true;
    m.time_us = wall_us;
    m.payload = render_scores (s.event.camera, ++seq_, wall_us, times, index,
        wells_);
    out.push_back (std::move (m));
  }
  return out;
}

}  // namespace wellpublish
