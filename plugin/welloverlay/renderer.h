/* welloverlay's drawing: the wells' boxes, ids, scores and the alarm banner
 * on a mapped video frame, in the frame's own format (packed RGB in its byte
 * order; I420 and NV12 with luma at full and chroma at half resolution, in the
 * stream's colour matrix and range; GRAY8 as luma only).
 *
 * Text is rendered once into coverage masks (a sprite per text and size, with
 * a dark outline) and alpha-blended into frames from then on: rendering
 * antialiased text with OpenCV for ~84 labels on up to three planes costs
 * several ms a frame, blending cached masks a fraction of that.
 *
 * GStreamer's video library only (formats, frames); no element. */
#pragma once

#include "well-meta.h"

#include <gst/video/video.h>

#include <opencv2/core.hpp>

#include <string>
#include <unordered_map>
#include <vector>

namespace wellmonitor {

/* What to draw: welloverlay's properties. */
struct OverlayStyle
{
  bool show_labels = true;      /* each well's id above its box */
  bool show_scores = true;      /* each well's score below its box */
  bool relative_scores = true;  /* scores as a percentage of the threshold */
  bool show_banner = true;      /* "SPILL: ..." across the top while wells are in alarm */
  double font_scale = 0.0;      /* OpenCV font scale; 0: 0.35 per 600 lines */
  int line_width = 0;           /* pixels; 0: 1 per 600 lines */
};

/* The colours, as R, G, B. */
enum OverlayColour { kColourNormal, kColourAnomaly, kColourAlarm, kColourText,
  kColourShadow, kColours };
extern const int kOverlayRgb[kColours][3];

/* Blends `colour` (1 to 4 channels) into `img` with coverage `mask` (CV_8UC1,
 * 0..255) placed with its top-left at `at`; clipped to the image. */
void overlay_blend (cv::Mat & img, const cv::Mat & mask, cv::Point at,
    const cv::Scalar & colour);

/* The RGB colour `rgb` as the 8-bit values of the components of `info`'s
 * format (R, G, B, A for RGB formats; Y, U, V for YUV; Y for grey), in the
 * stream's colour matrix and range. */
void overlay_rgb_to_components (const GstVideoInfo * info, const int rgb[3],
    double out[4]);

class OverlayRenderer
{
public:
  /* Prepares for frames of `info`: per plane, how to wrap it and the colours
   * as its pixel values. False for a format it cannot draw on. */
  bool configure (const GstVideoInfo * info);

  /* Draws `wells` on `frame` (mapped writable, of the configured format);
   * reorders `wells` so that the wells in alarm are drawn last, on top. */
  void draw (GstVideoFrame * frame, std::vector<WellResult> & wells,
      const OverlayStyle & style);

  size_t planes () const { return planes_.size (); }
  /* Texts rendered and kept (ids, scores, banners at their sizes). */
  size_t sprites () const { return sprites_.size (); }

private:
  /* How to draw on one plane of the negotiated format. */
  struct Plane
  {
    int plane = 0;
    int cv_type = CV_8UC1;
    double scale = 1.0;         /* plane size / frame size */
    int width = 0;
    int height = 0;
    cv::Scalar colour[kColours];        /* pixel values on this plane */
  };

  /* One piece of text as coverage masks (text and its dark outline). */
  struct Sprite
  {
    cv::Mat text;               /* CV_8UC1 coverage 0..255 */
    cv::Mat shadow;             /* empty when drawn without an outline */
    cv::Point origin;           /* the baseline's left end inside the masks */
  };

  const Sprite & sprite (const char *text, double scale, int thickness,
      bool shadow);
  void put_text (cv::Mat & img, const char *text, cv::Point origin,
      double font_scale, double plane_scale, const cv::Scalar & colour,
      int thickness, const cv::Scalar * shadow = nullptr);

  std::vector<Plane> planes_;
  std::unordered_map<std::string, Sprite> sprites_;
  /* per-frame scratch that keeps its capacity from frame to frame */
  std::vector<const WellResult *> in_alarm_;
  std::string banner_;
  std::string key_;
  char label_[128] = "";
};

}  // namespace wellmonitor
