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
#include "wellmonitor-meta.h"

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <exception>
#include <string>
#include <unordered_map>
#include <vector>

GST_DEBUG_CATEGORY_STATIC (gst_well_overlay_debug);
#define GST_CAT_DEFAULT gst_well_overlay_debug

#define DEFAULT_PROP_SHOW_LABELS TRUE
#define DEFAULT_PROP_SHOW_SCORES TRUE
#define DEFAULT_PROP_RELATIVE_SCORES TRUE
#define DEFAULT_PROP_SHOW_BANNER TRUE
#define DEFAULT_PROP_FONT_SCALE 0.0     /* automatic */
#define DEFAULT_PROP_LINE_WIDTH 0       /* automatic */
/* the automatic sizes: per 600 lines of video (the replay's 960x600) */
#define AUTO_FONT_SCALE_PER_600 0.35
#define AUTO_LINE_WIDTH_PER_600 1

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

/* the formats wellmonitor accepts, so that the two link without a conversion */
#define VIDEO_CAPS GST_VIDEO_CAPS_MAKE ("{ BGR, BGRx, BGRA, RGB, RGBx, RGBA, GRAY8, I420, NV12 }")

static GstStaticPadTemplate gst_well_overlay_sink_template =
GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS (VIDEO_CAPS));

static GstStaticPadTemplate gst_well_overlay_src_template =
GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS (VIDEO_CAPS));

/* The colours, as R, G, B. */
#define COLOUR_NORMAL_RGB 0, 200, 0
#define COLOUR_ANOMALY_RGB 255, 176, 0
#define COLOUR_ALARM_RGB 255, 0, 0
#define COLOUR_TEXT_RGB 255, 255, 255
#define COLOUR_SHADOW_RGB 0, 0, 0

namespace {

/* One well as read from its meta. */
struct DrawnWell
{
  cv::Rect box;
  const gchar *id = nullptr;
  double score = 0.0;
  double threshold = 0.0;
  gboolean anomaly = FALSE;
  gboolean alarm = FALSE;
  gint index = 0;
};

enum { kNormal, kAnomaly, kAlarm, kText, kShadow, kColours };

/* How to draw on one plane of the negotiated format. */
struct OverlayPlane
{
  int plane = 0;
  int cv_type = CV_8UC1;
  double scale = 1.0;           /* plane size / frame size */
  int width = 0;
  int height = 0;
  cv::Scalar colour[kColours];  /* pixel values on this plane */
};


/* One piece of text rendered once as coverage masks (text and its dark
 * outline), blended into frames from then on: rendering antialiased text
 * with OpenCV for ~84 labels on up to three planes costs several ms a frame,
 * blending cached masks a fraction of that. */
struct TextSprite
{
  cv::Mat text;                 /* CV_8UC1 coverage 0..255 */
  cv::Mat shadow;               /* empty when drawn without an outline */
  cv::Point origin;             /* the baseline's left end inside the masks */
};

/* Blends `colour` into `img` (1 to 4 channels) with coverage `mask` placed
 * with its top-left at `at`; clipped to the image. */
static void
blend (cv::Mat & img, const cv::Mat & mask, cv::Point at,
    const cv::Scalar & colour)
{
  const cv::Rect r = cv::Rect (at, mask.size ()) & cv::Rect (0, 0, img.cols,
      img.rows);
  if (r.empty ())
    return;
  const int cn = img.channels ();
  int c[4];
  for (int k = 0; k < 4; k++)
    c[k] = (int) colour[k];
  for (int y = r.y; y < r.y + r.height; y++) {
    const guint8 *m = mask.ptr<guint8> (y - at.y) + (r.x - at.x);
    guint8 *d = img.ptr<guint8> (y) + (size_t) r.x * cn;
    for (int x = 0; x < r.width; x++, d += cn) {
      const int a = m[x];
      if (a == 0)
        continue;
      for (int k = 0; k < cn; k++)
        d[k] = (guint8) ((d[k] * (255 - a) + c[k] * a + 127) / 255);
    }
  }
}

}  // namespace

/* C++ state, new'ed in init and deleted in finalize: the negotiated planes,
 * per-frame scratch that keeps its capacity from frame to frame, and the
 * rendered text. */
struct GstWellOverlayPrivate
{
  std::vector<OverlayPlane> planes;
  std::vector<DrawnWell> wells;
  std::vector<const DrawnWell *> in_alarm;
  std::string banner;
  char label[128] = "";
  std::unordered_map<std::string, TextSprite> sprites;
  std::string key;
};

/* The sprite of `text` at this size, rendered on first use. The cache holds
 * the ids, the score labels seen and the banners; it is emptied when it
 * grows past a few thousand entries (scores are rounded to whole percents or
 * three digits, so that is rare). */
static const TextSprite &
sprite (GstWellOverlayPrivate * priv, const char *text, double scale,
    int thickness, bool shadow)
{
  char size[48];
  g_snprintf (size, sizeof (size), "|%.4f|%d|%d", scale, thickness,
      shadow ? 1 : 0);
  priv->key.assign (text);
  priv->key.append (size);
  auto it = priv->sprites.find (priv->key);
  if (it != priv->sprites.end ())
    return it->second;
  if (priv->sprites.size () > 4096)
    priv->sprites.clear ();

  const int font = cv::FONT_HERSHEY_SIMPLEX;
  const int pad = shadow ? 2 : 1;
  int baseline = 0;
  const cv::Size ts = cv::getTextSize (text, font, scale, thickness, &baseline);
  TextSprite sp;
  sp.origin = cv::Point (pad, pad + ts.height);
  const cv::Size canvas (ts.width + 2 * pad, ts.height + baseline + 2 * pad);
  sp.text = cv::Mat::zeros (canvas, CV_8UC1);
  cv::putText (sp.text, text, sp.origin, font, scale, cv::Scalar (255),
      thickness, cv::LINE_AA);
  if (shadow) {
    sp.shadow = cv::Mat::zeros (canvas, CV_8UC1);
    cv::putText (sp.shadow, text, sp.origin, font, scale, cv::Scalar (255),
        thickness + 2, cv::LINE_AA);
  }
  return priv->sprites.emplace (priv->key, std::move (sp)).first->second;
}

/* Text placed in frame pixels (origin: its baseline's left end), over a
 * dark outline when `shadow` is given so that it reads on any background. */
static void
put_text (GstWellOverlayPrivate * priv, cv::Mat & img, const char *text,
    cv::Point origin, double font_scale, double plane_scale,
    const cv::Scalar & colour, int thickness, const cv::Scalar * shadow = nullptr)
{
  const int t = plane_scale == 1.0 ? thickness : 1;
  const TextSprite & sp = sprite (priv, text, font_scale * plane_scale, t,
      shadow != nullptr);
  const cv::Point at ((int) (origin.x * plane_scale) - sp.origin.x,
      (int) (origin.y * plane_scale) - sp.origin.y);
  if (shadow)
    blend (img, sp.shadow, at, *shadow);
  blend (img, sp.text, at, colour);
}

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

/* The RGB colour `c` as the 8-bit values of the negotiated format's
 * components (R, G, B, A for RGB formats; Y, U, V for YUV; Y for grey),
 * using the stream's colour matrix and range. */
static void
rgb_to_components (const GstVideoInfo * info, const int c[3], double out[4])
{
  const double r = c[0] / 255.0, g = c[1] / 255.0, b = c[2] / 255.0;

  if (GST_VIDEO_INFO_IS_RGB (info)) {
    out[0] = c[0];
    out[1] = c[1];
    out[2] = c[2];
    out[3] = 255;
    return;
  }
  gdouble kr = 0.299, kb = 0.114;
  if (!gst_video_color_matrix_get_Kr_Kb (info->colorimetry.matrix, &kr, &kb)) {
    kr = 0.299;
    kb = 0.114;
  }
  gint offset[GST_VIDEO_MAX_COMPONENTS], scale[GST_VIDEO_MAX_COMPONENTS];
  gst_video_color_range_offsets (info->colorimetry.range, info->finfo, offset,
      scale);
  const double y = kr * r + (1.0 - kr - kb) * g + kb * b;
  out[0] = std::round (offset[0] + y * scale[0]);
  if (GST_VIDEO_INFO_IS_GRAY (info)) {
    out[1] = out[2] = out[3] = 0;
    return;
  }
  out[1] = std::round (offset[1] + (b - y) / (2.0 * (1.0 - kb)) * scale[1]);
  out[2] = std::round (offset[2] + (r - y) / (2.0 * (1.0 - kr)) * scale[2]);
  out[3] = 255;
}

/* Works out, per plane, how to wrap it in a cv::Mat and the four colours as
 * that plane's pixel values. */
static gboolean
gst_well_overlay_set_info (GstVideoFilter * filter, GstCaps * incaps,
    GstVideoInfo * in_info, GstCaps * outcaps, GstVideoInfo * out_info)
{
  GstWellOverlay *self = GST_WELL_OVERLAY (filter);
  std::vector<OverlayPlane> &planes = self->priv->planes;
  const GstVideoFormat format = GST_VIDEO_INFO_FORMAT (in_info);
  static const int rgb[kColours][3] = {
    {COLOUR_NORMAL_RGB}, {COLOUR_ANOMALY_RGB}, {COLOUR_ALARM_RGB},
    {COLOUR_TEXT_RGB}, {COLOUR_SHADOW_RGB}
  };
  double comp[kColours][4];

  (void) incaps;
  (void) outcaps;
  (void) out_info;

  for (int i = 0; i < kColours; i++)
    rgb_to_components (in_info, rgb[i], comp[i]);

  planes.clear ();
  if (GST_VIDEO_INFO_IS_RGB (in_info)) {
    /* one packed plane: colours in the format's byte order */
    OverlayPlane p;
    p.cv_type = GST_VIDEO_INFO_COMP_PSTRIDE (in_info, 0) == 4 ? CV_8UC4 : CV_8UC3;
    const int n = CV_MAT_CN (p.cv_type);
    for (int i = 0; i < kColours; i++) {
      double v[4] = { 255, 255, 255, 255 };       /* x bytes: 255 too */
      for (int c = 0; c < 3; c++)
        v[GST_VIDEO_INFO_COMP_POFFSET (in_info, c)] = comp[i][c];
      p.colour[i] = cv::Scalar (v[0], v[1], v[2], n == 4 ? v[3] : 0);
    }
    planes.push_back (p);
  } else {
    /* luma at full size, chroma at half size */
    OverlayPlane y;
    for (int i = 0; i < kColours; i++)
      y.colour[i] = cv::Scalar (comp[i][0]);
    planes.push_back (y);
    if (format == GST_VIDEO_FORMAT_I420) {
      for (int c = 1; c <= 2; c++) {
        OverlayPlane p;
        p.plane = c;
        p.scale = 0.5;
        for (int i = 0; i < kColours; i++)
          p.colour[i] = cv::Scalar (comp[i][c]);
        planes.push_back (p);
      }
    } else if (format == GST_VIDEO_FORMAT_NV12) {
      OverlayPlane p;
      p.plane = 1;
      p.scale = 0.5;
      p.cv_type = CV_8UC2;
      for (int i = 0; i < kColours; i++)
        p.colour[i] = cv::Scalar (comp[i][1], comp[i][2]);
      planes.push_back (p);
    } else if (format != GST_VIDEO_FORMAT_GRAY8) {
      GST_ERROR_OBJECT (self, "unsupported format %s",
          gst_video_format_to_string (format));
      return FALSE;
    }
  }
  for (OverlayPlane & p : planes) {
    const int comp_index = p.plane;     /* plane i holds component i here */
    p.width = GST_VIDEO_INFO_COMP_WIDTH (in_info, comp_index);
    p.height = GST_VIDEO_INFO_COMP_HEIGHT (in_info, comp_index);
  }
  GST_DEBUG_OBJECT (self, "%s: drawing on %zu planes",
      gst_video_format_to_string (format), planes.size ());
  return TRUE;
}

/* Collects the wells' metas in layout order; FALSE when there are none. */
static bool
collect_wells (GstBuffer * buffer, std::vector<DrawnWell> &wells)
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
    GstStructure *s = gst_video_region_of_interest_meta_get_param (roi,
        WELLMONITOR_ROI_PARAM);
    if (!s)
      continue;
    DrawnWell w;
    w.box = cv::Rect ((int) roi->x, (int) roi->y, (int) roi->w, (int) roi->h);
    w.id = gst_structure_get_string (s, "well");
    gst_structure_get_double (s, "score", &w.score);
    gst_structure_get_double (s, "threshold", &w.threshold);
    gst_structure_get_boolean (s, "anomaly", &w.anomaly);
    gst_structure_get_boolean (s, "alarm", &w.alarm);
    w.index = roi->id;
    wells.push_back (w);
  }
  std::stable_sort (wells.begin (), wells.end (),
      [](const DrawnWell & a, const DrawnWell & b) {
        return a.index < b.index;
      });
  return !wells.empty ();
}

/* A rectangle given in frame pixels, on a plane of the given scale: the
 * plane's samples that cover its corners. */
static cv::Rect
on_plane (const cv::Rect & r, double scale)
{
  if (scale == 1.0)
    return r;
  const int x0 = (int) std::floor (r.x * scale);
  const int y0 = (int) std::floor (r.y * scale);
  const int x1 = (int) std::floor ((r.x + r.width - 1) * scale);
  const int y1 = (int) std::floor ((r.y + r.height - 1) * scale);
  return cv::Rect (x0, y0, x1 - x0 + 1, y1 - y0 + 1);
}

static GstFlowReturn
gst_well_overlay_transform_frame_ip (GstVideoFilter * filter,
    GstVideoFrame * frame)
{
  GstWellOverlay *self = GST_WELL_OVERLAY (filter);
  GstWellOverlayPrivate *priv = self->priv;
  std::vector<DrawnWell> &wells = priv->wells;
  std::vector<const DrawnWell *> &in_alarm = priv->in_alarm;
  std::string &banner = priv->banner;

  GST_OBJECT_LOCK (self);
  const bool show_labels = self->show_labels;
  const bool show_scores = self->show_scores;
  const bool relative = self->relative_scores;
  const bool show_banner = self->show_banner;
  const double font_scale_prop = self->font_scale;
  const int line_width_prop = self->line_width;
  GST_OBJECT_UNLOCK (self);

  const double lines = GST_VIDEO_FRAME_HEIGHT (frame) / 600.0;
  const double font_scale = font_scale_prop > 0.0 ? font_scale_prop :
      std::max (0.25, AUTO_FONT_SCALE_PER_600 * lines);
  const int line_width = line_width_prop > 0 ? line_width_prop :
      std::max (1, (int) std::lround (AUTO_LINE_WIDTH_PER_600 * lines));

  try {
    if (!collect_wells (frame->buffer, wells)) {
      GST_LOG_OBJECT (self, "no well metas, buffer untouched");
      return GST_FLOW_OK;
    }

    const int font = cv::FONT_HERSHEY_SIMPLEX;
    const int frame_width = GST_VIDEO_FRAME_WIDTH (frame);
    const int frame_height = GST_VIDEO_FRAME_HEIGHT (frame);

    /* the banner's text, wells in layout order; when they do not all fit
     * across the frame, as many as fit and how many more */
    in_alarm.clear ();
    banner.clear ();
    const double banner_scale = font_scale * 1.75;
    int banner_height = 0;
    if (show_banner) {
      for (const DrawnWell & w : wells)
        if (w.alarm)
          in_alarm.push_back (&w);
      for (size_t shown = in_alarm.size (); shown > 0; shown--) {
        banner = "SPILL: ";
        for (size_t i = 0; i < shown; i++) {
          if (i > 0)
            banner += ", ";
          banner += in_alarm[i]->id ? in_alarm[i]->id : "?";
        }
        if (shown < in_alarm.size ())
          banner += " +" + std::to_string (in_alarm.size () - shown) + " more";
        int baseline = 0;
        const cv::Size ts = cv::getTextSize (banner, font, banner_scale, 2,
            &baseline);
        banner_height = std::min (frame_height, ts.height + baseline + 8);
        if (ts.width + 12 <= frame_width)
          break;
      }
    }

    /* normal wells first, so that alarms are drawn on top */
    std::stable_sort (wells.begin (), wells.end (),
        [](const DrawnWell & a, const DrawnWell & b) {
          return (a.alarm ? 2 : a.anomaly ? 1 : 0) <
              (b.alarm ? 2 : b.anomaly ? 1 : 0);
        });

    for (const OverlayPlane & p : priv->planes) {
      cv::Mat img (p.height, p.width, p.cv_type,
          GST_VIDEO_FRAME_PLANE_DATA (frame, p.plane),
          (size_t) GST_VIDEO_FRAME_PLANE_STRIDE (frame, p.plane));
      const double s = p.scale;

      for (const DrawnWell & w : wells) {
        const int colour = w.alarm ? kAlarm : w.anomaly ? kAnomaly : kNormal;
        const cv::Scalar & c = p.colour[colour];
        const int thickness = w.alarm ? 2 * line_width + 1 : line_width;
        /* 1-pixel outlines growing outwards: the well itself stays visible */
        for (int k = 0; k < thickness; k++)
          cv::rectangle (img, on_plane (cv::Rect (w.box.x - k, w.box.y - k,
                      w.box.width + 2 * k, w.box.height + 2 * k), s), c, 1,
              cv::LINE_8);
        /* the id centred above the box, the score centred below it */
        if (show_labels && w.id) {
          int baseline = 0;
          const cv::Size ts = cv::getTextSize (w.id, font, font_scale, 1,
              &baseline);
          int y = w.box.y - thickness - 2;
          if (y - ts.height < 0)
            y = w.box.y + ts.height + 2;        /* no room above: inside */
          put_text (priv, img, w.id, cv::Point (w.box.x + (w.box.width -
                      ts.width) / 2, y), font_scale, s, c, 1, &p.colour[kShadow]);
        }
        if (show_scores) {
          if (relative && w.threshold > 0.0) {
            /* rounded away from 100% so that the text agrees with the colour */
            const double pc = 100.0 * w.score / w.threshold;
            g_snprintf (priv->label, sizeof (priv->label), "%.0f%%",
                w.anomaly ? std::ceil (pc) : std::floor (pc));
          }
          else
            g_snprintf (priv->label, sizeof (priv->label), "%.3g", w.score);
          int baseline = 0;
          const cv::Size ts = cv::getTextSize (priv->label, font, font_scale,
              1, &baseline);
          int y = w.box.y + w.box.height + thickness + 1 + ts.height;
          if (y + baseline > frame_height)
            y = w.box.y + w.box.height - 3;     /* no room below: inside */
          put_text (priv, img, priv->label, cv::Point (w.box.x + (w.box.width -
                      ts.width) / 2, y), font_scale, s, c, 1, &p.colour[kShadow]);
        }
      }

      if (!banner.empty ()) {
        int baseline = 0;
        const cv::Size ts = cv::getTextSize (banner, font, banner_scale, 2,
            &baseline);
        cv::rectangle (img, on_plane (cv::Rect (0, 0, frame_width,
                    banner_height), s), p.colour[kAlarm], cv::FILLED);
        put_text (priv, img, banner.c_str (), cv::Point (6, 4 + ts.height),
            banner_scale, s, p.colour[kText], 2);
      }
    }
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

  g_object_class_install_property (gobject_class, PROP_SHOW_LABELS,
      g_param_spec_boolean ("show-labels", "Show labels",
          "Write each well's id above its box",
          DEFAULT_PROP_SHOW_LABELS,
          (GParamFlags) (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
              GST_PARAM_MUTABLE_PLAYING)));
  g_object_class_install_property (gobject_class, PROP_SHOW_SCORES,
      g_param_spec_boolean ("show-scores", "Show scores",
          "Write each well's score below its box",
          DEFAULT_PROP_SHOW_SCORES,
          (GParamFlags) (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
              GST_PARAM_MUTABLE_PLAYING)));
  g_object_class_install_property (gobject_class, PROP_RELATIVE_SCORES,
      g_param_spec_boolean ("relative-scores", "Relative scores",
          "Write scores as a percentage of the threshold (100% = at the "
          "threshold; short enough for closely spaced wells) instead of the "
          "raw score",
          DEFAULT_PROP_RELATIVE_SCORES,
          (GParamFlags) (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
              GST_PARAM_MUTABLE_PLAYING)));
  g_object_class_install_property (gobject_class, PROP_SHOW_BANNER,
      g_param_spec_boolean ("show-banner", "Show banner",
          "While wells are in alarm, draw a banner across the top naming them "
          "(\"SPILL: r3w11, r2w4\")",
          DEFAULT_PROP_SHOW_BANNER,
          (GParamFlags) (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
              GST_PARAM_MUTABLE_PLAYING)));
  g_object_class_install_property (gobject_class, PROP_FONT_SCALE,
      g_param_spec_double ("font-scale", "Font scale",
          "Size of the labels (OpenCV font scale; the banner is 1.75 times "
          "larger); 0 = automatic, 0.35 per 600 lines of video, so labels "
          "keep their size relative to the wells",
          0.0, 10.0, DEFAULT_PROP_FONT_SCALE,
          (GParamFlags) (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
              GST_PARAM_MUTABLE_PLAYING)));
  g_object_class_install_property (gobject_class, PROP_LINE_WIDTH,
      g_param_spec_int ("line-width", "Line width",
          "Width in pixels of the boxes of normal and anomalous wells, drawn "
          "outwards from the well's edge; boxes of wells in alarm are "
          "2 * line-width + 1 wide. 0 = automatic, 1 per 600 lines of video",
          0, 32, DEFAULT_PROP_LINE_WIDTH,
          (GParamFlags) (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
              GST_PARAM_MUTABLE_PLAYING)));

  gst_element_class_set_static_metadata (element_class,
      "Well spill overlay",
      "Filter/Effect/Video",
      "Draws the wells scored by wellmonitor from the region of interest metas "
      "on each buffer (type \"well\", parameters \"wellmonitor\"), so it works "
      "after a tee or a queue: green box = normal, amber = over the threshold "
      "on this frame, red and thicker = in alarm, with each well's id and "
      "score, and a banner naming the wells in alarm (\"SPILL: r3w11, r2w4\"). "
      "Buffers without well metas pass untouched. Takes wellmonitor's formats "
      "(packed RGB, I420, NV12, GRAY8 as luma only): no videoconvert between "
      "the two, since a converting videoconvert drops the metas.\n"
      "                           Example: gst-launch-1.0 filesrc "
      "location=table.mp4 ! decodebin ! wellmonitor wells=table.wells ! "
      "welloverlay ! videoconvert ! autovideosink",
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
