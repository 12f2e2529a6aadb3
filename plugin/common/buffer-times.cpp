/* A buffer's times in its segment. */

#include "buffer-times.h"

namespace wellmonitor {

BufferTimes
buffer_times (const GstSegment * segment, GstClockTime timestamp)
{
  BufferTimes t;
  t.timestamp = timestamp;
  if (GST_CLOCK_TIME_IS_VALID (timestamp) && segment->format == GST_FORMAT_TIME) {
    t.stream_time = gst_segment_to_stream_time (segment, GST_FORMAT_TIME,
        timestamp);
    t.running_time = gst_segment_to_running_time (segment, GST_FORMAT_TIME,
        timestamp);
  }
  return t;
}

}  // namespace wellmonitor
