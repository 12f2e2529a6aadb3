/* welloverlay: draws wellmonitor's per-well results on the video.
 */

/**
 * SECTION:element-welloverlay
 * @title: welloverlay
 * @see_also: wellmonitor
 *
 * welloverlay draws the wells that wellmonitor scored. It reads only the
 * #GstVideoRegionOfInterestMeta of type "well" with a "wellmonitor" parameter
 * structure on each buffer, so it works anywhere downstream of wellmonitor
 * where those metas survive: after a tee, a queue, or in another branch of the
 * pipeline. (GStreamer 1.22's videoconvert and videoscale drop region of
 * interest metas when they convert, so keep them out from between the two
 * elements: welloverlay takes the same formats as wellmonitor for that
 * reason.)
 *
 * Each well's box is drawn in one of three colours: green when normal, amber
 * when its score is over the threshold on this frame (not yet an alarm), red
 * and thicker when it is in alarm. Boxes grow outwards from the well's edge,
 * so the well itself stays visible. Its id is written above the box and its
 * score below it (by default as a percentage of the threshold, which stays
 * short enough for closely spaced wells). While any well is in alarm a red
 * banner across the top names them, in layout order: "SPILL: r3w11, r2w4"
 * (with "+N more" when they do not all fit across the frame).
 *
 * Buffers without well metas pass untouched. Formats: BGR, BGRx, BGRA, RGB,
 * RGBx, RGBA (drawn in the format's byte order), I420 and NV12 (luma at full
 * resolution, chroma at half, with the stream's colour matrix and range) and
 * GRAY8 (the colours' luma only: boxes stay distinguishable by brightness and
 * the alarm's thickness).
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 filesrc location=table.mp4 ! decodebin ! wellmonitor wells=table.wells ! \
 *     welloverlay font-scale=0.5 ! videoconvert ! autovideosink
 * ]| Shows every well's box and score live on the decoder's own format.
 */

#include "gstwelloverlay.h"

#include "renderer.h"
#include "video-formats.h"
#include "well-meta.h"

#include <exception>
#include <vector>

GST_DEBUG_CATEGORY_STATIC (gst_well_overlay_debug);
#define GST_CAT_DEFAULT gst_well_overlay_debug

#define DEFAULT_PROP_SHOW_LABELS TRUE
#define DEFAULT_PROP_SHOW_SCORES TRUE
#define DEFAULT_PROP_RELATIVE_SCORES TRUE
#define DEFAULT_PROP_SHOW_BANNER TRUE
#define DEFAULT_PROP_FONT_SCALE 0.0     /* automatic */
#define DEFAULT_PROP_LINE_WIDTH 0       /* automatic */

enum
{
  PROP_0,
  PROP_SHOW_LABELS,
  PROP_SHOW_SCORES,
  PROP_RELATIVE_SCORES,
  PROP_SHOW_BANNER,
  PROP_FONT_SCALE,
  PROP_LINE_WIDTH,
};

static GstStaticPadTemplate gst_well_overlay_sink_template =
GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS (WELLMONITOR_VIDEO_CAPS));

static GstStaticPadTemplate gst_well_overlay_src_template =
GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS (WELLMONITOR_VIDEO_CAPS));

/* C++ state, new'ed in init and deleted in finalize: the renderer (planes and
 * rendered text) and the wells of the current frame, whose vector keeps its
 * capacity from frame to frame. */
struct GstWellOverlayPrivate
{
  wellmonitor::OverlayRenderer renderer;
  std::vector<wellmonitor::WellResult> wells;
};

struct _GstWellOverlay
{
  GstVideoFilter parent;

  /* properties, under the object lock */
  gboolean show_labels;
  gboolean show_scores;
  gboolean relative_scores;
  gboolean show_banner;
  gdouble font_scale;
  gint line_width;

  GstWellOverlayPrivate *priv;
};

#define gst_well_overlay_parent_class parent_class
G_DEFINE_TYPE (GstWellOverlay, gst_well_overlay, GST_TYPE_VIDEO_FILTER);
GST_ELEMENT_REGISTER_DEFINE (welloverlay, "welloverlay", GST_RANK_NONE,
    GST_TYPE_WELL_OVERLAY);

static void gst_well_overlay_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
static void gst_well_overlay_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);
static void gst_well_overlay_finalize (GObject * object);

/* Works out, per plane, how to wrap it in a cv::Mat and the colours as that
 * plane's pixel values. */
static gboolean
gst_well_overlay_set_info (GstVideoFilter * filter, GstCaps * incaps,
    GstVideoInfo * in_info, GstCaps * outcaps, GstVideoInfo * out_info)
{
  GstWellOverlay *self = GST_WELL_OVERLAY (filter);
  const GstVideoFormat format = GST_VIDEO_INFO_FORMAT (in_info);

  (void) incaps;
  (void) outcaps;
  (void) out_info;

  if (!self->priv->renderer.configure (in_info)) {
    GST_ERROR_OBJECT (self, "unsupported format %s",
        gst_video_format_to_string (format));
    return FALSE;
  }
  GST_DEBUG_OBJECT (self, "%s: drawing on %zu planes",
      gst_video_format_to_string (format), self->priv->renderer.planes ());
  return TRUE;
}

static GstFlowReturn
gst_well_overlay_transform_frame_ip (GstVideoFilter * filter,
    GstVideoFrame * frame)
{
  GstWellOverlay *self = GST_WELL_OVERLAY (filter);
  GstWellOverlayPrivate *priv = self->priv;
  wellmonitor::OverlayStyle style;

  GST_OBJECT_LOCK (self);
  style.show_labels = self->show_labels;
  style.show_scores = self->show_scores;
  style.relative_scores = self->relative_scores;
  style.show_banner = self->show_banner;
  style.font_scale = self->font_scale;
  style.line_width = self->line_width;
  GST_OBJECT_UNLOCK (self);

  try {
    if (!wellmonitor::well_meta_read (frame->buffer, priv->wells)) {
      GST_LOG_OBJECT (self, "no well metas, buffer untouched");
      return GST_FLOW_OK;
    }
    priv->renderer.draw (frame, priv->wells, style);
  } catch (const std::exception & e) {
    GST_ELEMENT_ERROR (self, STREAM, FAILED, ("Could not draw the wells."),
        ("%s", e.what ()));
    return GST_FLOW_ERROR;
  } catch (...) {
    GST_ELEMENT_ERROR (self, STREAM, FAILED, ("Could not draw the wells."),
        ("unknown exception"));
    return GST_FLOW_ERROR;
  }
  return GST_FLOW_OK;
}

#define RW_PLAYING (GParamFlags) (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING)

static void
gst_well_overlay_class_init (GstWellOverlayClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstVideoFilterClass *filter_class = GST_VIDEO_FILTER_CLASS (klass);

  GST_DEBUG_CATEGORY_INIT (gst_well_overlay_debug, "welloverlay", 0,
      "draws wellmonitor results");

  gobject_class->set_property = gst_well_overlay_set_property;
  gobject_class->get_property = gst_well_overlay_get_property;
  gobject_class->finalize = gst_well_overlay_finalize;

  /**
   * GstWellOverlay:show-labels:
   *
   * Write each well's id above its box (inside it when there is no room
   * above).
   */
  g_object_class_install_property (gobject_class, PROP_SHOW_LABELS,
      g_param_spec_boolean ("show-labels", "Show labels",
          "Write each well's id above its box", DEFAULT_PROP_SHOW_LABELS,
          RW_PLAYING));
  /**
   * GstWellOverlay:show-scores:
   *
   * Write each well's score below its box (inside it when there is no room
   * below).
   */
  g_object_class_install_property (gobject_class, PROP_SHOW_SCORES,
      g_param_spec_boolean ("show-scores", "Show scores",
          "Write each well's score below its box", DEFAULT_PROP_SHOW_SCORES,
          RW_PLAYING));
  /**
   * GstWellOverlay:relative-scores:
   *
   * Write scores as a percentage of the threshold (100% = at the threshold;
   * short enough for closely spaced wells) instead of the raw score. The
   * percentage is rounded away from 100% so that the text agrees with the
   * box's colour.
   */
  g_object_class_install_property (gobject_class, PROP_RELATIVE_SCORES,
      g_param_spec_boolean ("relative-scores", "Relative scores",
          "Write scores as a percentage of the threshold",
          DEFAULT_PROP_RELATIVE_SCORES, RW_PLAYING));
  /**
   * GstWellOverlay:show-banner:
   *
   * While wells are in alarm, draw a red banner across the top naming them
   * in layout order ("SPILL: r3w11, r2w4", with "+N more" when they do not
   * all fit across the frame).
   */
  g_object_class_install_property (gobject_class, PROP_SHOW_BANNER,
      g_param_spec_boolean ("show-banner", "Show banner",
          "Name the wells in alarm in a banner across the top",
          DEFAULT_PROP_SHOW_BANNER, RW_PLAYING));
  /**
   * GstWellOverlay:font-scale:
   *
   * Size of the labels (OpenCV font scale; the banner is 1.75 times larger);
   * 0 = automatic, 0.35 per 600 lines of video, so that labels keep their
   * size relative to the wells.
   */
  g_object_class_install_property (gobject_class, PROP_FONT_SCALE,
      g_param_spec_double ("font-scale", "Font scale",
          "Size of the labels (OpenCV font scale; 0: automatic)",
          0.0, 10.0, DEFAULT_PROP_FONT_SCALE, RW_PLAYING));
  /**
   * GstWellOverlay:line-width:
   *
   * Width in pixels of the boxes of normal and anomalous wells, drawn
   * outwards from the well's edge; boxes of wells in alarm are
   * 2 * line-width + 1 wide. 0 = automatic, 1 per 600 lines of video.
   */
  g_object_class_install_property (gobject_class, PROP_LINE_WIDTH,
      g_param_spec_int ("line-width", "Line width",
          "Width of the boxes in pixels (0: automatic)",
          0, 32, DEFAULT_PROP_LINE_WIDTH, RW_PLAYING));

  gst_element_class_set_static_metadata (element_class,
      "Well spill overlay",
      "Filter/Effect/Video",
      "Draws the wells scored by wellmonitor, their scores and alarms",
      "wellmonitor project");

  gst_element_class_add_static_pad_template (element_class,
      &gst_well_overlay_sink_template);
  gst_element_class_add_static_pad_template (element_class,
      &gst_well_overlay_src_template);

  filter_class->set_info = GST_DEBUG_FUNCPTR (gst_well_overlay_set_info);
  filter_class->transform_frame_ip =
      GST_DEBUG_FUNCPTR (gst_well_overlay_transform_frame_ip);
}

static void
gst_well_overlay_init (GstWellOverlay * self)
{
  self->show_labels = DEFAULT_PROP_SHOW_LABELS;
  self->show_scores = DEFAULT_PROP_SHOW_SCORES;
  self->relative_scores = DEFAULT_PROP_RELATIVE_SCORES;
  self->show_banner = DEFAULT_PROP_SHOW_BANNER;
  self->font_scale = DEFAULT_PROP_FONT_SCALE;
  self->line_width = DEFAULT_PROP_LINE_WIDTH;
  self->priv = new GstWellOverlayPrivate ();

  gst_base_transform_set_in_place (GST_BASE_TRANSFORM (self), TRUE);
}

static void
gst_well_overlay_finalize (GObject * object)
{
  GstWellOverlay *self = GST_WELL_OVERLAY (object);

  delete self->priv;
  self->priv = NULL;

  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_well_overlay_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstWellOverlay *self = GST_WELL_OVERLAY (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_SHOW_LABELS:
      self->show_labels = g_value_get_boolean (value);
      break;
    case PROP_SHOW_SCORES:
      self->show_scores = g_value_get_boolean (value);
      break;
    case PROP_RELATIVE_SCORES:
      self->relative_scores = g_value_get_boolean (value);
      break;
    case PROP_SHOW_BANNER:
      self->show_banner = g_value_get_boolean (value);
      break;
    case PROP_FONT_SCALE:
      self->font_scale = g_value_get_double (value);
      break;
    case PROP_LINE_WIDTH:
      self->line_width = g_value_get_int (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_well_overlay_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstWellOverlay *self = GST_WELL_OVERLAY (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_SHOW_LABELS:
      g_value_set_boolean (value, self->show_labels);
      break;
    case PROP_SHOW_SCORES:
      g_value_set_boolean (value, self->show_scores);
      break;
    case PROP_RELATIVE_SCORES:
      g_value_set_boolean (value, self->relative_scores);
      break;
    case PROP_SHOW_BANNER:
      g_value_set_boolean (value, self->show_banner);
      break;
    case PROP_FONT_SCALE:
      g_value_set_double (value, self->font_scale);
      break;
    case PROP_LINE_WIDTH:
      g_value_set_int (value, self->line_width);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}
