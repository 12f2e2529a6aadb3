/* welloverlay: draws the wells that wellmonitor scored, from the region of
 * interest metas on each buffer. */
#pragma once

#include <gst/gst.h>
#include <gst/video/video.h>
#include <gst/video/gstvideofilter.h>

G_BEGIN_DECLS

#define GST_TYPE_WELL_OVERLAY (gst_well_overlay_get_type ())
G_DECLARE_FINAL_TYPE (GstWellOverlay, gst_well_overlay, GST, WELL_OVERLAY, GstVideoFilter)

GST_ELEMENT_REGISTER_DECLARE (welloverlay);

G_END_DECLS
