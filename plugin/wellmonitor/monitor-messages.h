/* wellmonitor's bus messages: the one place that knows their names and
 * fields (documented in the element's doc comment). Each returns a new
 * structure for gst_message_new_element (). */
#pragma once

#include "buffer-times.h"
#include "camera-shift.h"
#include "camera-view.h"
#include "frame-schedule.h"
#include "shelving.h"

#include "wellmonitor/alarm_lifecycle.h"

#include <gst/gst.h>

#include <opencv2/core.hpp>

#include <string>
#include <vector>

namespace wellmonitor {

/* `name` with the time fields every message carries: "timestamp",
 * "stream-time", "running-time" and "frame". */
GstStructure *monitor_message (const char *name, const BufferTimes & times,
    guint64 frame);

/* "wellmonitor-alarm" (a well's alarm started) or "wellmonitor-clear" (it
 * ended, with "reason": alarm_end_name ()) for `change` of the well `id`
 * whose box is `box`. */
GstStructure *alarm_message (const AlarmChange & change, const std::string & id,
    double threshold, const cv::Rect & box, const BufferTimes & times,
    guint64 frame);

/* "wellmonitor-scores": every well's score on an analysed frame; `well_ids`
 * is a GstValueArray of the ids in layout order. */
GstStructure *scores_message (const GValue * well_ids,
    const std::vector<WellAlarm> & wells, double threshold,
    const FrameCounters & counters, const BufferTimes & times, guint64 frame);

/* "wellmonitor-shelved": an operator shelved a well or put it back: "well",
 * "shelved", "by", "note", and "text", the line the runner prints. */
GstStructure *shelved_message (const ShelveChange & change,
    const BufferTimes & times, guint64 frame);

/* "wellmonitor-camera-moved": the camera-shift watchdog's report. */
GstStructure *camera_moved_message (const CameraMove & move,
    const BufferTimes & times, guint64 frame);

/* "wellmonitor-camera-lost" with "reason" (the runner's: no-frames, error,
 * eos), and "wellmonitor-camera-back": the source is gone or back. */
GstStructure *camera_lost_message (const std::string & reason,
    const BufferTimes & times, guint64 frame);
GstStructure *camera_back_message (const BufferTimes & times, guint64 frame);

/* "wellmonitor-camera-obscured" or, when `obscured` is false,
 * "wellmonitor-camera-unobscured": the view's measure `now` against the
 * reference frame's, and "reason", the two as fractions in words. */
GstStructure *camera_view_message (bool obscured, const ViewMeasure & now,
    const ViewMeasure & reference, const BufferTimes & times, guint64 frame);

/* "wellmonitor-summary": the counters, at EOS. */
GstStructure *summary_message (const FrameCounters & counters);

/* "wellmonitor-reconfigured": the model and layout in use from `frame` on. */
GstStructure *reconfigured_message (const std::string & model,
    const std::string & wells, guint64 frame);

}  // namespace wellmonitor
