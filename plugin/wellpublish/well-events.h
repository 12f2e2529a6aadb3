/* wellpublish's side of the streaming thread, without the element: reads the
 * well metas of each buffer (well-meta.h), follows each well's alarm flag, as
 * wellmonitor decided it, through the alarm lifecycle
 * (wellmonitor/alarm_lifecycle.h), and turns each alarm and its one end into a
 * message for the publisher: the snapshot's pixels are copied now, the JSON
 * is rendered later on the publisher's thread (Message::prepare). It also ends
 * the alarms itself when the camera is lost or obscured and when the stream
 * stops, and turns camera events into messages. With publish_scores, an
 * analysed frame also gives a scores message. */
#pragma once

#include "publisher.h"
#include "settings.h"

#include "buffer-times.h"
#include "well-meta.h"
#include "wellmonitor/alarm_lifecycle.h"

#include <gst/video/video.h>

#include <functional>
#include <string>
#include <vector>

namespace wellpublish {

class WellEvents
{
public:
  /* Forgets every well and counter (the element starts or stops). */
  void reset ();

  /* One buffer (`segment`: the sink pad's, for its times; `wall_us`: when it
   * arrived): its messages in order, the alarms and clears in layout order,
   * then the scores. A gap in the buffers (DISCONT) changes nothing here: the
   * alarm flags say what wellmonitor made of it. */
  std::vector<Message> frame (const GstVideoFrame * frame,
      const GstSegment * segment, const Settings & s, gint64 wall_us);

  /* Ends every alarm in progress with `reason` (kStopped, kCameraLost,
   * kCameraObscured): a clear each, in layout order, without a snapshot (no
   * frame shows the well), with the well's last box and score. */
  std::vector<Message> end_all (wellmonitor::AlarmEnd reason,
      const Settings & s, gint64 wall_us);

  /* A camera event: `kind` "lost", "obscured" (their alarms end first, with
   * reason camera-lost or camera-obscured), "back" or "unobscured" (with the
   * seconds since the loss); `reason` as the event gave it ("" none). Its
   * message goes to CAMERA/camera. */
  std::vector<Message> camera (const std::string & kind,
      const std::string & reason, const Settings & s, gint64 wall_us);

  /* Buffers seen since the reset (the next buffer's "frame"). */
  guint64 frames () const { return frames_; }

  /* Told one line for each alarm, clear and camera event queued (the
   * element's log). */
  std::function<void (const std::string &)> log;

private:
  Message event_message (const GstVideoFrame * frame,
      const wellmonitor::WellResult & w, const wellmonitor::AlarmChange & c,
      const Settings & s, gint64 wall_us, guint64 index);

  wellmonitor::AlarmLifecycle alarms_;
  std::vector<wellmonitor::WellResult> wells_;  /* of the current buffer */
  std::vector<wellmonitor::WellResult> last_;   /* each well's last, by index */
  wellmonitor::BufferTimes times_;              /* of the last buffer */
  guint64 frames_ = 0;
  guint64 seq_ = 0;             /* the messages' counter */
  gint64 lost_us_ = 0;          /* when the camera was lost or obscured (0: it is not) */
};

}  // namespace wellpublish
