/* wellpublish's side of the streaming thread, without the element: reads the
 * well metas of each buffer (well-meta.h), follows each well's alarm flag, as
 * wellmonitor decided it, through the alarm lifecycle
 * (wellmonitor/alarm_lifecycle.h), and turns each alarm and clear into a
 * message for the publisher: the snapshot's pixels are copied now, the JSON
 * is rendered later on the publisher's thread (Message::prepare). With
 * publish_scores, an analysed frame also gives a scores message. */
#pragma once

#include "publisher.h"
#include "settings.h"

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
   * then the scores. A buffer flagged DISCONT after the first forgets the
   * wells' state first, as wellmonitor does: no clear for a well in alarm. */
  std::vector<Message> frame (const GstVideoFrame * frame,
      const GstSegment * segment, const Settings & s, gint64 wall_us);

  /* A flush: wellmonitor forgets its alarms, so do we, without clears. */
  void flush ();

  /* Buffers seen since the reset (the next buffer's "frame"). */
  guint64 frames () const { return frames_; }

  /* Told one line for each alarm and clear queued (the element's log). */
  std::function<void (const std::string &)> log;

private:
  wellmonitor::AlarmLifecycle alarms_;
  std::vector<wellmonitor::WellResult> wells_;  /* of the current buffer */
  guint64 frames_ = 0;
  guint64 seq_ = 0;             /* the messages' counter */
};

}  // namespace wellpublish
