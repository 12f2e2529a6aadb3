/* wellpublish: publishes wellmonitor's alarms and clears out of the process,
 * as JSON events with a snapshot of the well, to an MQTT broker or a file. */
#pragma once

#include <gst/gst.h>
#include <gst/video/video.h>
#include <gst/video/gstvideofilter.h>

G_BEGIN_DECLS

#define GST_TYPE_WELL_PUBLISH (gst_well_publish_get_type ())
G_DECLARE_FINAL_TYPE (GstWellPublish, gst_well_publish, GST, WELL_PUBLISH, GstVideoFilter)

GST_ELEMENT_REGISTER_DECLARE (wellpublish);

G_END_DECLS
