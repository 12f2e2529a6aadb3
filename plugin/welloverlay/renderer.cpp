/* welloverlay's drawing: boxes, labels, scores and the banner. */

#include "renderer.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>

namespace wellmonitor {

const int kOverlayRgb[kColours][3] = {
  {0, 200, 0},                  /* normal */
  {255, 176, 0},                /* anomaly: over the threshold on this frame */
  {255, 0, 0},                  /* alarm */
  {255, 255, 255},              /* the banner's text */
  {0, 0, 0},                    /* the labels' outline */
};

/* the automatic sizes: per 600 lines of video (the replay's 960x600) */
static const double kAutoFontScalePer600 = 0.35;
static const double kAutoLineWidthPer600 = 1;

void
overlay_blend (cv::Mat & img, const cv::Mat & mask, cv::Point at,
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

void
overlay_rgb_to_components (const GstVideoInfo * info, const int c[3],
    double out[4])
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

bool
OverlayRenderer::configure (const GstVideoInfo * info)
{
  const GstVideoFormat format = GST_VIDEO_INFO_FORMAT (info);
  double comp[kColours][4];

  for (int i = 0; i < kColours; i++)
    overlay_rgb_to_components (info, kOverlayRgb[i], comp[i]);

  planes_.clear ();
  if (GST_VIDEO_INFO_IS_RGB (info)) {
    /* one packed plane: colours in the format's byte order */
    Plane p;
    p.cv_type = GST_VIDEO_INFO_COMP_PSTRIDE (info, 0) == 4 ? CV_8UC4 : CV_8UC3;
    const int n = CV_MAT_CN (p.cv_type);
    for (int i = 0; i < kColours; i++) {
      double v[4] = { 255, 255, 255, 255 };       /* x bytes: 255 too */
      for (int c = 0; c < 3; c++)
        v[GST_VIDEO_INFO_COMP_POFFSET (info, c)] = comp[i][c];
      p.colour[i] = cv::Scalar (v[0], v[1], v[2], n == 4 ? v[3] : 0);
    }
    planes_.push_back (p);
  } else {
    /* luma at full size, chroma at half size */
    Plane y;
    for (int i = 0; i < kColours; i++)
      y.colour[i] = cv::Scalar (comp[i][0]);
    planes_.push_back (y);
    if (format == GST_VIDEO_FORMAT_I420) {
      for (int c = 1; c <= 2; c++) {
        Plane p;
        p.plane = c;
        p.scale = 0.5;
        for (int i = 0; i < kColours; i++)
          p.colour[i] = cv::Scalar (comp[i][c]);
        planes_.push_back (p);
      }
    } else if (format == GST_VIDEO_FORMAT_NV12) {
      Plane p;
      p.plane = 1;
      p.scale = 0.5;
      p.cv_type = CV_8UC2;
      for (int i = 0; i < kColours; i++)
        p.colour[i] = cv::Scalar (comp[i][1], comp[i][2]);
      planes_.push_back (p);
    } else if (format != GST_VIDEO_FORMAT_GRAY8) {
      planes_.clear ();
      return false;
    }
  }
  for (Plane & p : planes_) {
    const int comp_index = p.plane;     /* plane i holds component i here */
    p.width = GST_VIDEO_INFO_COMP_WIDTH (info, comp_index);
    p.height = GST_VIDEO_INFO_COMP_HEIGHT (info, comp_index);
  }
  return true;
}

/* The sprite of `text` at this size, rendered on first use. The cache holds
 * the ids, the score labels seen and the banners; it is emptied when it
 * grows past a few thousand entries (scores are rounded to whole percents or
 * three digits, so that is rare). */
const OverlayRenderer::Sprite &
OverlayRenderer::sprite (const char *text, double scale, int thickness,
    bool shadow)
{
  char size[48];
  g_snprintf (size, sizeof (size), "|%.4f|%d|%d", scale, thickness,
      shadow ? 1 : 0);
  key_.assign (text);
  key_.append (size);
  auto it = sprites_.find (key_);
  if (it != sprites_.end ())
    return it->second;
  if (sprites_.size () > 4096)
    sprites_.clear ();

  const int font = cv::FONT_HERSHEY_SIMPLEX;
  const int pad = shadow ? 2 : 1;
  int baseline = 0;
  const cv::Size ts = cv::getTextSize (text, font, scale, thickness, &baseline);
  Sprite sp;
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
  return sprites_.emplace (key_, std::move (sp)).first->second;
}

/* Text placed in frame pixels (origin: its baseline's left end), over a
 * dark outline when `shadow` is given so that it reads on any background. */
void
OverlayRenderer::put_text (cv::Mat & img, const char *text, cv::Point origin,
    double font_scale, double plane_scale, const cv::Scalar & colour,
    int thickness, const cv::Scalar * shadow)
{
  const int t = plane_scale == 1.0 ? thickness : 1;
  const Sprite & sp = sprite (text, font_scale * plane_scale, t,
      shadow != nullptr);
  const cv::Point at ((int) (origin.x * plane_scale) - sp.origin.x,
      (int) (origin.y * plane_scale) - sp.origin.y);
  if (shadow)
    overlay_blend (img, sp.shadow, at, *shadow);
  overlay_blend (img, sp.text, at, colour);
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

static cv::Rect
box_of (const WellResult & w)
{
  return cv::Rect (w.x, w.y, w.width, w.height);
}

void
OverlayRenderer::draw (GstVideoFrame * frame, std::vector<WellResult> & wells,
    const OverlayStyle & style)
{
  const double lines = GST_VIDEO_FRAME_HEIGHT (frame) / 600.0;
  const double font_scale = style.font_scale > 0.0 ? style.font_scale :
      std::max (0.25, kAutoFontScalePer600 * lines);
  const int line_width = style.line_width > 0 ? style.line_width :
      std::max (1, (int) std::lround (kAutoLineWidthPer600 * lines));
  const int font = cv::FONT_HERSHEY_SIMPLEX;
  const int frame_width = GST_VIDEO_FRAME_WIDTH (frame);
  const int frame_height = GST_VIDEO_FRAME_HEIGHT (frame);

  /* normal wells first, so that alarms are drawn on top */
  std::stable_sort (wells.begin (), wells.end (),
      [](const WellResult & a, const WellResult & b) {
        return (a.alarm ? 2 : a.anomaly ? 1 : 0) <
            (b.alarm ? 2 : b.anomaly ? 1 : 0);
      });

  /* the banner's text, wells in layout order (the sort above is stable:
   * the wells in alarm keep theirs); when they do not all fit across the
   * frame, as many as fit and how many more */
  in_alarm_.clear ();
  banner_.clear ();
  const double banner_scale = font_scale * 1.75;
  int banner_height = 0;
  if (style.show_banner) {
    for (const WellResult & w : wells)
      if (w.alarm)
        in_alarm_.push_back (&w);
    for (size_t shown = in_alarm_.size (); shown > 0; shown--) {
      banner_ = "SPILL: ";
      for (size_t i = 0; i < shown; i++) {
        if (i > 0)
          banner_ += ", ";
        banner_ += in_alarm_[i]->named ? in_alarm_[i]->id : "?";
      }
      if (shown < in_alarm_.size ())
        banner_ += " +" + std::to_string (in_alarm_.size () - shown) + " more";
      int baseline = 0;
      const cv::Size ts = cv::getTextSize (banner_, font, banner_scale, 2,
          &baseline);
      banner_height = std::min (frame_height, ts.height + baseline + 8);
      if (ts.width + 12 <= frame_width)
        break;
    }
  }

  for (const Plane & p : planes_) {
    cv::Mat img (p.height, p.width, p.cv_type,
        GST_VIDEO_FRAME_PLANE_DATA (frame, p.plane),
        (size_t) GST_VIDEO_FRAME_PLANE_STRIDE (frame, p.plane));
    const double s = p.scale;

    for (const WellResult & w : wells) {
      const cv::Rect box = box_of (w);
      const int colour = w.alarm ? kColourAlarm : w.anomaly ? kColourAnomaly :
          kColourNormal;
      const cv::Scalar & c = p.colour[colour];
      const int thickness = w.alarm ? 2 * line_width + 1 : line_width;
      /* 1-pixel outlines growing outwards: the well itself stays visible */
      for (int k = 0; k < thickness; k++)
        cv::rectangle (img, on_plane (cv::Rect (box.x - k, box.y - k,
                    box.width + 2 * k, box.height + 2 * k), s), c, 1,
            cv::LINE_8);
      /* the id centred above the box, the score centred below it */
      if (style.show_labels && w.named) {
        int baseline = 0;
        const cv::Size ts = cv::getTextSize (w.id, font, font_scale, 1,
            &baseline);
        int y = box.y - thickness - 2;
        if (y - ts.height < 0)
          y = box.y + ts.height + 2;    /* no room above: inside */
        put_text (img, w.id.c_str (), cv::Point (box.x + (box.width -
                    ts.width) / 2, y), font_scale, s, c, 1,
            &p.colour[kColourShadow]);
      }
      if (style.show_scores) {
        if (style.relative_scores && w.threshold > 0.0) {
          /* rounded away from 100% so that the text agrees with the colour */
          const double pc = 100.0 * w.score / w.threshold;
          g_snprintf (label_, sizeof (label_), "%.0f%%",
              w.anomaly ? std::ceil (pc) : std::floor (pc));
        } else {
          g_snprintf (label_, sizeof (label_), "%.3g", w.score);
        }
        int baseline = 0;
        const cv::Size ts = cv::getTextSize (label_, font, font_scale, 1,
            &baseline);
        int y = box.y + box.height + thickness + 1 + ts.height;
        if (y + baseline > frame_height)
          y = box.y + box.height - 3;   /* no room below: inside */
        put_text (img, label_, cv::Point (box.x + (box.width - ts.width) / 2,
                y), font_scale, s, c, 1, &p.colour[kColourShadow]);
      }
    }

    if (!banner_.empty ()) {
      int baseline = 0;
      const cv::Size ts = cv::getTextSize (banner_, font, banner_scale, 2,
          &baseline);
      cv::rectangle (img, on_plane (cv::Rect (0, 0, frame_width,
                  banner_height), s), p.colour[kColourAlarm], cv::FILLED);
      put_text (img, banner_.c_str (), cv::Point (6, 4 + ts.height),
          banner_scale, s, p.colour[kColourText], 2);
    }
  }
}

}  // namespace wellmonitor
