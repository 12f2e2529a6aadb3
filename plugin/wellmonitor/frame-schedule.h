/* Which frames wellmonitor analyses: every `interval`-th frame, the first
 * one and the first after a reset always, and none that downstream's QoS
 * reports late (those pass on with the last scores, so that the newest frame
 * is analysed once the element has caught up), and none while the camera
 * is lost or obscured. Counts the frames in, analysed, skipped and late.
 *
 * No GStreamer element here: the element gives it each frame's running time
 * and downstream's QoS events. */
#pragma once

#include <gst/gst.h>

#include <atomic>

namespace wellmonitor {

/* The element's frame counters since it started. */
struct FrameCounters
{
  guint64 frames = 0;           /* buffers in */
  guint64 analysed = 0;         /* frames scored */
  guint64 skipped = 0;          /* frames passed without scoring */
  guint64 late = 0;             /* of those, skipped because late (QoS) */
};

/* What to do with one frame. */
struct FrameTurn
{
  guint64 index = 0;            /* the frame's index since the start (0 = first) */
  bool analyse = false;
  bool late = false;            /* skipped because downstream said it is late */
};

class FrameSchedule
{
public:
  /* Forgets every frame and QoS report (the element starts). */
  void reset ();

  /* Downstream's QoS event (any thread): frames whose running time is at
   * most timestamp + diff are late, as GstBaseTransform counts them. */
  void qos (GstClockTimeDiff diff, GstClockTime timestamp);
  /* A flush: no frame is late any more. */
  void flush () { earliest_.store (GST_CLOCK_TIME_NONE); }
  /* The running time up to which frames are late (GST_CLOCK_TIME_NONE: none). */
  GstClockTime earliest () const { return earliest_.load (); }

  /* The index the next frame will have. */
  guint64 next_index () const { return counters_.frames; }

  /* Counts the next frame in and decides. `have_scores`: the wells have
   * been scored since the last reset (else the frame is analysed whatever
   * the interval or QoS say); `qos`: the element's qos property; `hold`:
   * the camera is lost or obscured, no frame is analysed. */
  FrameTurn next (GstClockTime running_time, guint interval, bool have_scores,
      bool qos, bool hold = false);

  const FrameCounters & counters () const { return counters_; }

private:
  FrameCounters counters_;
  guint64 last_analysed_ = 0;
  std::atomic<GstClockTime> earliest_ { GST_CLOCK_TIME_NONE };
};

}  // namespace wellmonitor
