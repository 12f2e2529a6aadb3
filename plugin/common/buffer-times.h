/* A buffer's times in its segment, as the elements' messages and events carry
 * them: one conversion for every element (level and videoanalyse do the
 * same). */
#pragma once

#include <gst/gst.h>

namespace wellmonitor {

struct BufferTimes
{
  GstClockTime timestamp = GST_CLOCK_TIME_NONE;         /* the buffer's PTS */
  GstClockTime stream_time = GST_CLOCK_TIME_NONE;
  GstClockTime running_time = GST_CLOCK_TIME_NONE;
};

/* The stream time and running time of `timestamp` in `segment`: each is
 * GST_CLOCK_TIME_NONE when the timestamp is unknown, the segment is not in
 * time format, or the timestamp lies outside it. */
BufferTimes buffer_times (const GstSegment * segment, GstClockTime timestamp);

}  // namespace wellmonitor
