/* wellmonitor: scores every well of a casting table in each video frame and
 * posts a bus message when one spills. */
#pragma once

#include <gst/gst.h>
#include <gst/video/video.h>
#include <gst/video/gstvideofilter.h>

G_BEGIN_DECLS

#define GST_TYPE_WELL_MONITOR (gst_well_monitor_get_type ())
G_DECLARE_FINAL_TYPE (GstWellMonitor, gst_well_monitor, GST, WELL_MONITOR, GstVideoFilter)

GST_ELEMENT_REGISTER_DECLARE (wellmonitor);

G_END_DECLS
