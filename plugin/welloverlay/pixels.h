/* welloverlay's colours and how they become a frame's pixels: each colour as
 * the 8-bit values of a format's components (RGB in its byte order; YUV in
 * the stream's colour matrix and range; grey as luma), and blending a colour
 * into an image by a coverage mask. GStreamer's video library and OpenCV's
 * core only. */
#pragma once

#include <gst/video/video.h>

#include <opencv2/core.hpp>

namespace wellmonitor {

/* The colours, as R, G, B. */
enum OverlayColour { kColourNormal, kColourAnomaly, kColourAlarm, kColourText,
  kColourShadow, kColourPanel, kColourShelved, kColours };
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

}  // namespace wellmonitor
