/* The wells' crops of a mapped video frame, for wellmonitor.
 *
 * BGR and GRAY8 frames are cropped in place. Every other format is converted
 * well by well into BGR by GStreamer's own GstVideoConverter, the code
 * videoconvert runs, with its default options, on a view of the frame around
 * the well: the box widened by a few pixels and aligned to the chroma grid.
 * The view has the frame's layout at the view's size, so the converter takes
 * the path it takes for the whole frame (for I420, videoconvert's fast path),
 * and every pixel of the box comes out as in `videoconvert ! video/x-raw,
 * format=BGR`. NV12 is read as the I420 it holds (its chroma split into two
 * planes), so that a picture scores the same in both. */
#pragma once

#include <gst/video/video.h>

#include <opencv2/core.hpp>

#include <vector>

class WellCrops
{
public:
  WellCrops () = default;
  ~WellCrops ();
  WellCrops (const WellCrops &) = delete;
  WellCrops & operator= (const WellCrops &) = delete;

  /* Prepares one crop per box (stream pixels, inside the frame) of frames
   * laid out as `info`. Throws std::runtime_error when GStreamer cannot
   * convert the format. */
  void configure (const GstVideoInfo * info, const std::vector<cv::Rect> & boxes);

  /* Releases the converters and scratch memory. */
  void clear ();

  /* The crops of `frame` in box order: CV_8UC3 BGR, or CV_8UC1 for GRAY8.
   * They point into `frame` or into scratch memory, and are valid until the
   * next call or clear (). */
  const std::vector<cv::Mat> & extract (const GstVideoFrame * frame);

  size_t size () const { return boxes_.size (); }

private:
  /* One well, converted on its own. */
  struct Converted
  {
    cv::Rect area;                              /* the view: box, margin, aligned */
    GstVideoInfo in {};                         /* the view's layout (frame strides) */
    GstVideoConverter *convert = nullptr;       /* view -> BGR of the same size */
    cv::Mat chroma;                             /* NV12: the view's U and V planes */
    cv::Mat bgr;                                /* the view in BGR */
  };

  GstVideoFormat format_ = GST_VIDEO_FORMAT_UNKNOWN;
  std::vector<cv::Rect> boxes_;
  std::vector<Converted> converted_;    /* empty for BGR and GRAY8 */
  std::vector<cv::Mat> crops_;
};
