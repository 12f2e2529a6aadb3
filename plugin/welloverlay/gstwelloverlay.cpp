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
 * The view is made to be read from across a control room. Each well's box
 * is drawn in one of three colours: green when normal, amber when its score
 * is over the threshold on this frame (not yet an alarm), red and three times
 * thicker when it is in alarm. Boxes grow outwards from the well's edge, so
 * the well itself stays visible; its id is written above it (its score only
 * with #GstWellOverlay:show-scores). While wells are in alarm:
 *
 * - a red banner across the top, its capital letters 6.4% of the frame's
 *   height, names each of them in layout order with the time since its alarm
 *   began: "SPILL r3w11 12s, r2w4 3s" (two lines at most, then "+N more");
 * - white corner marks frame each such well and its id is written larger,
 *   white on red: a cue of shape besides the colour;
 * - an enlarged inset of each (up to four) sits along the bottom, or under
 *   the banner when the wells leave no room there, captioned with its id.
 *
 * A shelved well (out of use: the meta's "shelved") is a grey dashed box
 * crossed corner to corner, never in an alarm's colour, banner or inset.
 *
 * A status line along the bottom reads "MONITOR HEALTHY", "CAMERA LOST" or
 * "CAMERA OBSCURED", with #GstWellOverlay:model-name and the number of
 * wells (and of them shelved). The camera's state comes from the custom downstream events that
 * wellmonitor forwards: "wellmonitor-camera-lost" (field "reason"),
 * "wellmonitor-camera-obscured" and "wellmonitor-camera-back". No frames
 * come while a camera is lost, so on "wellmonitor-camera-lost" welloverlay
 * pushes one more frame: the last one, darkened, under an amber
 * "CAMERA LOST <time>" banner. Every size follows the frame's height, times
 * #GstWellOverlay:scale.
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
 *     welloverlay scale=1.5 model-name=default.wmm ! videoconvert ! autovideosink
 * ]| Shows every well's box live, alarms in large type, on the decoder's own
 * format.
 */

#include "gstwelloverlay.h"

#include "renderer.h"
#include "video-formats.h"
#include "well-meta.h"

#include <cstring>
#include <exception>
#include <string>
#include <vector>

GST_DEBUG_CATEGORY_STATIC (gst_well_overlay_debug);
#define GST_CAT_DEFAULT gst_well_overlay_debug

#define DEFAULT_PROP_SHOW_LABELS TRUE
#define DEFAULT_PROP_SHOW_SCORES FALSE
#define DEFAULT_PROP_RELATIVE_SCORES TRUE
#define DEFAULT_PROP_SHOW_BANNER TRUE
#define DEFAULT_PROP_SHOW_INSETS TRUE
#define DEFAULT_PROP_SHOW_STATUS TRUE
#define DEFAULT_PROP_SCALE 1.0
#define DEFAULT_PROP_MODEL_NAME NULL
#define DEFAULT_PROP_FONT_SCALE 0.0     /* automatic */
#define DEFAULT_PROP_LINE_WIDTH 0       /* automatic */

/* How bright the last frame stays under the "CAMERA LOST" banner. */
#define LOST_FRAME_BRIGHTNESS 0.4

enum
{
  PROP_0,
  PROP_SHOW_LABELS,
  PROP_SHOW_SCORES,
  PROP_RELATIVE_SCORES,
  PROP_SHOW_BANNER,
  PROP_SHOW_INSETS,
  PROP_SHOW_STATUS,
  PROP_SCALE,
  PROP_MODEL_NAME,
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

/* C++ state, new'ed in init and deleted in finalize: the renderer (planes,
 * rendered text, when each well went into alarm), the wells of the current
 * frame (the vector keeps its capacity from frame to frame), the camera's
 * state from the events and the last frame (for the "camera lost" frame);
 * touched by the streaming thread only. */
struct GstWellOverlayPrivate
{
  wellmonitor::OverlayRenderer renderer;
  std::vector<wellmonitor::WellResult> wells;
  wellmonitor::CameraState camera = wellmonitor::CameraState::kOk;
  std::string camera_reason;
  std::string camera_since;
  GstBuffer *last = nullptr;    /* the last frame drawn on, or NULL */
};

struct _GstWellOverlay
{
  GstVideoFilter parent;

  /* properties, under the object lock */
  gboolean show_labels;
  gboolean show_scores;
  gboolean relative_scores;
  gboolean show_banner;
  gboolean show_insets;
  gboolean show_status;
  gdouble scale;
  gchar *model_name;
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

  gst_buffer_replace (&self->priv->last, NULL);
  if (!self->priv->renderer.configure (in_info)) {
    GST_ERROR_OBJECT (self, "unsupported format %s",
        gst_video_format_to_string (format));
    return FALSE;
  }
  GST_DEBUG_OBJECT (self, "%s: drawing on %zu planes",
      gst_video_format_to_string (format), self->priv->renderer.planes ());
  return TRUE;
}

/* The properties as the renderer's style and status, under the object lock. */
static void
gst_well_overlay_read_style (GstWellOverlay * self,
    wellmonitor::OverlayStyle & style, wellmonitor::OverlayStatus & status)
{
  GST_OBJECT_LOCK (self);
  style.show_labels = self->show_labels;
  style.show_scores = self->show_scores;
  style.relative_scores = self->relative_scores;
  style.show_banner = self->show_banner;
  style.show_insets = self->show_insets;
  style.show_status = self->show_status;
  style.scale = self->scale;
  style.font_scale = self->font_scale;
  style.line_width = self->line_width;
  status.model = self->model_name ? self->model_name : "";
  GST_OBJECT_UNLOCK (self);
  status.camera = self->priv->camera;
  status.reason = self->priv->camera_reason;
  status.since = self->priv->camera_since;
}

/* The buffer's running time: the clock the time in alarm is counted on;
 * the monotonic clock for a buffer without a time. */
static GstClockTime
gst_well_overlay_now (GstWellOverlay * self, GstBuffer * buffer)
{
  GstBaseTransform *trans = GST_BASE_TRANSFORM (self);
  GstClockTime t = GST_CLOCK_TIME_NONE;
  if (GST_BUFFER_PTS_IS_VALID (buffer) &&
      trans->segment.format == GST_FORMAT_TIME)
    t = gst_segment_to_running_time (&trans->segment, GST_FORMAT_TIME,
        GST_BUFFER_PTS (buffer));
  if (!GST_CLOCK_TIME_IS_VALID (t))
    t = g_get_monotonic_time () * GST_USECOND;
  return t;
}

static GstFlowReturn
gst_well_overlay_transform_frame_ip (GstVideoFilter * filter,
    GstVideoFrame * frame)
{
  GstWellOverlay *self = GST_WELL_OVERLAY (filter);
  GstWellOverlayPrivate *priv = self->priv;
  wellmonitor::OverlayStyle style;
  wellmonitor::OverlayStatus status;

  /* frames flow again: the camera is back, whether or not its event came */
  if (priv->camera == wellmonitor::CameraState::kLost)
    priv->camera = wellmonitor::CameraState::kOk;
  gst_well_overlay_read_style (self, style, status);

  try {
    if (!wellmonitor::well_meta_read (frame->buffer, priv->wells)) {
      GST_LOG_OBJECT (self, "no well metas, buffer untouched");
      return GST_FLOW_OK;
    }
    priv->renderer.draw (frame, priv->wells, style, status,
        gst_well_overlay_now (self, frame->buffer));
  } catch (const std::exception & e) {
    GST_ELEMENT_ERROR (self, STREAM, FAILED, ("Could not draw the wells."),
        ("%s", e.what ()));
    return GST_FLOW_ERROR;
  } catch (...) {
    GST_ELEMENT_ERROR (self, STREAM, FAILED, ("Could not draw the wells."),
        ("unknown exception"));
    return GST_FLOW_ERROR;
  }
  /* kept for the "camera lost" frame; a reference, no copy */
  gst_buffer_replace (&priv->last, frame->buffer);
  return GST_FLOW_OK;
}

/* The wall-clock time of day, "21:43:05". */
static std::string
gst_well_overlay_time_of_day ()
{
  GDateTime *now = g_date_time_new_now_local ();
  gchar *text = g_date_time_format (now, "%H:%M:%S");
  std::string out = text ? text : "";
  g_free (text);
  g_date_time_unref (now);
  return out;
}

/* One more frame while the camera is lost, for the viewers: the last one,
 * darkened, under the "CAMERA LOST" banner, stamped one frame later. */
static void
gst_well_overlay_push_lost_frame (GstWellOverlay * self)
{
  GstWellOverlayPrivate *priv = self->priv;
  GstVideoFilter *filter = GST_VIDEO_FILTER (self);

  if (!priv->last || !filter->negotiated)
    return;
  GstBuffer *buffer = gst_buffer_copy_deep (priv->last);
  if (!buffer)
    return;
  if (GST_BUFFER_PTS_IS_VALID (buffer) &&
      GST_BUFFER_DURATION_IS_VALID (buffer))
    GST_BUFFER_PTS (buffer) += GST_BUFFER_DURATION (buffer);
  GST_BUFFER_DTS (buffer) = GST_CLOCK_TIME_NONE;

  wellmonitor::OverlayStyle style;
  wellmonitor::OverlayStatus status;
  gst_well_overlay_read_style (self, style, status);
  GstVideoFrame frame;
  if (!gst_video_frame_map (&frame, &filter->in_info, buffer,
          GST_MAP_READWRITE)) {
    gst_buffer_unref (buffer);
    return;
  }
  try {
    std::vector<wellmonitor::WellResult> none;
    priv->renderer.dim (&frame, LOST_FRAME_BRIGHTNESS);
    priv->renderer.draw (&frame, none, style, status, GST_CLOCK_TIME_NONE);
  } catch (const std::exception & e) {
    GST_WARNING_OBJECT (self, "could not draw the camera-lost frame: %s",
        e.what ());
  }
  gst_video_frame_unmap (&frame);
  GST_DEBUG_OBJECT (self, "camera lost: pushing the last frame, darkened");
  const GstFlowReturn ret =
      gst_pad_push (GST_BASE_TRANSFORM_SRC_PAD (self), buffer);
  if (ret != GST_FLOW_OK)
    GST_DEBUG_OBJECT (self, "the camera-lost frame: %s",
        gst_flow_get_name (ret));
}

/* The camera's state from wellmonitor's events; every event goes on. */
static gboolean
gst_well_overlay_sink_event (GstBaseTransform * trans, GstEvent * event)
{
  GstWellOverlay *self = GST_WELL_OVERLAY (trans);
  GstWellOverlayPrivate *priv = self->priv;

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_CUSTOM_DOWNSTREAM:{
      /* wellmonitor-camera-lost, -obscured, -back: events that wellmonitor
       * forwards (its bus messages of the same names are its own) */
      const GstStructure *s = gst_event_get_structure (event);
      const gchar *name = s ? gst_structure_get_name (s) : NULL;
      if (!name || !g_str_has_prefix (name, "wellmonitor-"))
        break;
      const gchar *what = name + strlen ("wellmonitor-");
      if (g_str_equal (what, "camera-lost")) {
        const gchar *reason = gst_structure_get_string (s, "reason");
        priv->camera = wellmonitor::CameraState::kLost;
        priv->camera_reason = reason ? reason : "";
        priv->camera_since = gst_well_overlay_time_of_day ();
        priv->renderer.reset_alarm_times ();
        GST_INFO_OBJECT (self, "camera lost (%s)",
            priv->camera_reason.c_str ());
        gst_well_overlay_push_lost_frame (self);
      } else if (g_str_equal (what, "camera-obscured")) {
        gboolean obscured = TRUE;
        gst_structure_get_boolean (s, "obscured", &obscured);
        if (obscured && priv->camera != wellmonitor::CameraState::kObscured) {
          priv->camera = wellmonitor::CameraState::kObscured;
          priv->camera_reason.clear ();
          priv->camera_since = gst_well_overlay_time_of_day ();
        } else if (!obscured) {
          priv->camera = wellmonitor::CameraState::kOk;
        }
        GST_INFO_OBJECT (self, "camera obscured: %s", obscured ? "yes" : "no");
      } else if (g_str_equal (what, "camera-back")) {
        priv->camera = wellmonitor::CameraState::kOk;
        GST_INFO_OBJECT (self, "camera back");
      }
      break;
    }
    case GST_EVENT_FLUSH_STOP:
      priv->renderer.reset_alarm_times ();
      gst_buffer_replace (&priv->last, NULL);
      break;
    default:
      break;
  }
  return GST_BASE_TRANSFORM_CLASS (parent_class)->sink_event (trans, event);
}

static gboolean
gst_well_overlay_stop (GstBaseTransform * trans)
{
  GstWellOverlay *self = GST_WELL_OVERLAY (trans);

  gst_buffer_replace (&self->priv->last, NULL);
  self->priv->renderer.reset_alarm_times ();
  self->priv->camera = wellmonitor::CameraState::kOk;
  return TRUE;
}

#define RW_PLAYING (GParamFlags) (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING)

static void
gst_well_overlay_class_init (GstWellOverlayClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);
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
   * below). Off by default: a score means nothing to an operator; for
   * engineers tuning a camera.
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
   * in layout order with the time since each alarm began ("SPILL r3w11 12s,
   * r2w4 3s"; two lines at most, then "+N more"); its capital letters are
   * 6.4% of the frame's height times #GstWellOverlay:scale. A lost or
   * obscured camera gets an amber banner when no well is in alarm.
   */
  g_object_class_install_property (gobject_class, PROP_SHOW_BANNER,
      g_param_spec_boolean ("show-banner", "Show banner",
          "Name the wells in alarm in a banner across the top",
          DEFAULT_PROP_SHOW_BANNER, RW_PLAYING));
  /**
   * GstWellOverlay:show-insets:
   *
   * While wells are in alarm, show each (up to four) enlarged, with some of
   * its surroundings, captioned with its id: along the bottom, or under the
   * banner when the wells leave no room at the bottom.
   */
  g_object_class_install_property (gobject_class, PROP_SHOW_INSETS,
      g_param_spec_boolean ("show-insets", "Show insets",
          "Show each well in alarm enlarged", DEFAULT_PROP_SHOW_INSETS,
          RW_PLAYING));
  /**
   * GstWellOverlay:show-status:
   *
   * Draw a status line along the bottom (along the top when the wells reach
   * into it): "MONITOR HEALTHY", "CAMERA LOST" or "CAMERA OBSCURED" (amber),
   * the model's name and the number of wells (and of them shelved).
   */
  g_object_class_install_property (gobject_class, PROP_SHOW_STATUS,
      g_param_spec_boolean ("show-status", "Show status",
          "Draw the status line: camera state, model, wells",
          DEFAULT_PROP_SHOW_STATUS, RW_PLAYING));
  /**
   * GstWellOverlay:scale:
   *
   * Every automatic size (text, lines, banner, insets, status line) times
   * this; they follow the frame's height, so that the picture looks the same
   * at any resolution. 2 doubles them for a screen seen from far away.
   */
  g_object_class_install_property (gobject_class, PROP_SCALE,
      g_param_spec_double ("scale", "Scale",
          "Every automatic size times this", 0.1, 10.0, DEFAULT_PROP_SCALE,
          RW_PLAYING));
  /**
   * GstWellOverlay:model-name:
   *
   * The model's name for the status line (wellmonitor-run sets it to the
   * model file's name); not shown when unset.
   */
  g_object_class_install_property (gobject_class, PROP_MODEL_NAME,
      g_param_spec_string ("model-name", "Model name",
          "The model's name for the status line", DEFAULT_PROP_MODEL_NAME,
          RW_PLAYING));
  /**
   * GstWellOverlay:font-scale:
   *
   * Size of the wells' labels (OpenCV font scale; those of wells in alarm
   * are 1.5 times larger); 0 = automatic, 0.35 per 600 lines of video times
   * #GstWellOverlay:scale, so that labels keep their size relative to the
   * wells.
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
   * 3 * line-width wide. 0 = automatic, 1 per 600 lines of video times
   * #GstWellOverlay:scale.
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

  trans_class->sink_event = GST_DEBUG_FUNCPTR (gst_well_overlay_sink_event);
  trans_class->stop = GST_DEBUG_FUNCPTR (gst_well_overlay_stop);
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
  self->show_insets = DEFAULT_PROP_SHOW_INSETS;
  self->show_status = DEFAULT_PROP_SHOW_STATUS;
  self->scale = DEFAULT_PROP_SCALE;
  self->model_name = g_strdup (DEFAULT_PROP_MODEL_NAME);
  self->font_scale = DEFAULT_PROP_FONT_SCALE;
  self->line_width = DEFAULT_PROP_LINE_WIDTH;
  self->priv = new GstWellOverlayPrivate ();

  gst_base_transform_set_in_place (GST_BASE_TRANSFORM (self), TRUE);
}

static void
gst_well_overlay_finalize (GObject * object)
{
  GstWellOverlay *self = GST_WELL_OVERLAY (object);

  gst_buffer_replace (&self->priv->last, NULL);
  delete self->priv;
  self->priv = NULL;
  g_free (self->model_name);

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
    case PROP_SHOW_INSETS:
      self->show_insets = g_value_get_boolean (value);
      break;
    case PROP_SHOW_STATUS:
      self->show_status = g_value_get_boolean (value);
      break;
    case PROP_SCALE:
      self->scale = g_value_get_double (value);
      break;
    case PROP_MODEL_NAME:
      g_free (self->model_name);
      self->model_name = g_value_dup_string (value);
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
    case PROP_SHOW_INSETS:
      g_value_set_boolean (value, self->show_insets);
      break;
    case PROP_SHOW_STATUS:
      g_value_set_boolean (value, self->show_status);
      break;
    case PROP_SCALE:
      g_value_set_double (value, self->scale);
      break;
    case PROP_MODEL_NAME:
      g_value_set_string (value, self->model_name);
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
