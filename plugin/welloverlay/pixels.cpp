/* welloverlay's colours as a format's pixel values, and blending by
 * coverage. */

#include "pixels.h"

#include <cmath>

namespace wellmonitor {

const int kOverlayRgb[kColours][3] = {
  {0, 200, 0},                  /* normal */
  {255, 176, 0},                /* anomaly: over the threshold on this frame */
  {255, 0, 0},                  /* alarm */
  {255, 255, 255},              /* the banner's text */
  {0, 0, 0},                    /* the labels' outline, text on amber */
  {40, 40, 40},                 /* the status line's background */
  {150, 150, 150},              /* a shelved well */
};

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

}  // namespace wellmonitor
