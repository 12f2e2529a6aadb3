/* The per-well results on buffers: the one writer and reader. */

#include "well-meta.h"

#include <algorithm>

namespace wellmonitor {

void
well_meta_add (GstBuffer * buffer, const WellResult & well)
{
  GstVideoRegionOfInterestMeta *meta =
      gst_buffer_add_video_region_of_interest_meta (buffer,
      WELLMONITOR_ROI_TYPE, well.x, well.y, well.width, well.height);
  meta->id = well.index;
  gst_video_region_of_interest_meta_add_param (meta,
      gst_structure_new (WELLMONITOR_ROI_PARAM,
          "well", G_TYPE_STRING, well.id.c_str (),
          "score", G_TYPE_DOUBLE, well.score,
          "threshold", G_TYPE_DOUBLE, well.threshold,
          "anomaly", G_TYPE_BOOLEAN, (gboolean) well.anomaly,
          "alarm", G_TYPE_BOOLEAN, (gboolean) well.alarm,
          "analysed", G_TYPE_BOOLEAN, (gboolean) well.analysed,
          "late", G_TYPE_BOOLEAN, (gboolean) well.late,
          "shelved", G_TYPE_BOOLEAN, (gboolean) well.shelved, NULL));
}

static bool
get_boolean (const GstStructure * s, const char *field, bool fallback)
{
  gboolean v;
  return gst_structure_get_boolean (s, field, &v) ? v != FALSE : fallback;
}

bool
well_meta_read (GstBuffer * buffer, std::vector<WellResult> & wells)
{
  gpointer state = NULL;
  GstMeta *meta;
  const GQuark well_type = g_quark_from_static_string (WELLMONITOR_ROI_TYPE);

  wells.clear ();
  while ((meta = gst_buffer_iterate_meta_filtered (buffer, &state,
              GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
    auto *roi = (GstVideoRegionOfInterestMeta *) meta;
    if (roi->roi_type != well_type)
      continue;
    const GstStructure *s = gst_video_region_of_interest_meta_get_param (roi,
        WELLMONITOR_ROI_PARAM);
    if (!s)
      continue;
    WellResult w;
    w.index = roi->id;
    const gchar *id = gst_structure_get_string (s, "well");
    w.named = id != NULL;
    if (id)
      w.id = id;
    w.x = (gint) roi->x;
    w.y = (gint) roi->y;
    w.width = (gint) roi->w;
    w.height = (gint) roi->h;
    gst_structure_get_double (s, "score", &w.score);
    gst_structure_get_double (s, "threshold", &w.threshold);
    w.anomaly = get_boolean (s, "anomaly", w.anomaly);
    w.alarm = get_boolean (s, "alarm", w.alarm);
    w.analysed = get_boolean (s, "analysed", w.analysed);
    w.late = get_boolean (s, "late", w.late);
    w.shelved = get_boolean (s, "shelved", w.shelved);
    wells.push_back (std::move (w));
  }
  std::stable_sort (wells.begin (), wells.end (),
      [](const WellResult & a, const WellResult & b) {
        return a.index < b.index;
      });
  return !wells.empty ();
}

}  // namespace wellmonitor
