/* The camera-shift watchdog of wellmonitor: how far the casting table has
 * moved in the picture since the reference frame its layout was drawn on.
 *
 * CameraShiftEstimator is OpenCV alone (no LibTorch, no GStreamer): phase
 * correlation (cv::phaseCorrelate) of the frame against the reference, both
 * reduced to at most 640 pixels across, on the static parts of the picture:
 * the wells (whose contents change from frame to frame, and spill) are faded
 * out of the reference, so that only the table around them counts.
 *
 * CameraShiftWatchdog runs the estimator on a mapped video frame every few
 * seconds of stream time, for the element. */
#pragma once

#include <gst/video/video.h>

#include <opencv2/core.hpp>

#include <memory>
#include <string>
#include <vector>

namespace wellmonitor {

struct CameraShift
{
  /* where the reference's content is in the frame: a point at (x, y) in the
   * reference is at (x + dx, y + dy), in frame pixels */
  double dx = 0.0;
  double dy = 0.0;
  /* the phase correlation's peak, 0..1: near 1 for the same picture, under
   * 0.05 for unrelated ones */
  double confidence = 0.0;
};

class CameraShiftEstimator
{
public:
  /* `reference`: the table as the layout was drawn on it (grey, BGR or BGRA,
   * any size: it is scaled to `frame`); `wells`: the wells' boxes in frame
   * pixels, each widened by `well_margin` of its size on every side before
   * it is faded out. Throws std::invalid_argument for an empty image or
   * size. */
  CameraShiftEstimator (const cv::Mat & reference, cv::Size frame,
      const std::vector<cv::Rect> & wells, double well_margin = 0.25);

  /* The shift of `frame` (grey, BGR or BGRA, of the size given above). */
  CameraShift estimate (const cv::Mat & frame) const;

  /* The size the correlation works at. */
  cv::Size work_size () const { return work_; }

private:
  cv::Mat prepare (const cv::Mat & image) const;       /* CV_32F at work_ */

  cv::Size frame_;
  cv::Size work_;
  double scale_ = 1.0;                  /* work / frame */
  cv::Mat reference_;                   /* prepared, wells faded out */
  cv::Mat window_;                      /* Hann window */
};

/* Reads a reference frame (PNG, JPEG, ...) as grey. Throws
 * std::runtime_error naming the file when it cannot. */
cv::Mat load_reference_frame (const std::string & path);

/* The first plane of a mapped frame as an OpenCV view (no copy): the luma
 * of GRAY8, I420 and NV12 (CV_8UC1), the pixels of BGR and RGB (CV_8UC3)
 * and of the four-byte formats (CV_8UC4). */
cv::Mat plane_view (const GstVideoFrame * frame);

/* What the element asks of the watchdog (its properties). */
struct CameraShiftSettings
{
  GstClockTime interval = 5 * GST_SECOND;       /* stream time between estimates */
  double tolerance = 4.0;       /* px: a move smaller than this is not reported */
  double min_confidence = 0.15; /* estimates less sure than this are ignored */
  bool follow = false;          /* move the wells' boxes with the table */
};

/* A move of the camera, as the watchdog reports it. */
struct CameraMove
{
  CameraShift shift;            /* from the reference frame */
  cv::Point offset;             /* the boxes' offset from the layout now */
  bool followed = false;        /* the boxes were moved on this frame */
};

/* The estimator on a running stream. */
class CameraShiftWatchdog
{
public:
  /* Per frame: estimates the shift when due (see check ()), and returns true
   * when it differs by more than `s.tolerance` from the last one reported
   * (at first: from no shift), with `s.min_confidence` or more. With
   * `s.follow`, `boxes` become the layout's boxes (as given to configure ())
   * moved by the shift, rounded, and kept inside the frame. */
  bool update (const GstVideoFrame * frame, GstClockTime stream_time,
      const CameraShiftSettings & s, CameraMove & out,
      std::vector<cv::Rect> & boxes);

  /* (Re)arms it for frames of `info` whose wells are `boxes` (stream
   * pixels, where the layout puts them); `reference` as loaded by
   * load_reference_frame. */
  void configure (const cv::Mat & reference, const GstVideoInfo * info,
      const std::vector<cv::Rect> & boxes);
  void clear ();
  bool armed () const { return estimator_ != nullptr; }

  /* Estimates the shift on `frame` when `interval` of stream time has passed
   * since the last estimate (always on the first frame, and whenever the
   * stream time is unknown, every `fallback_frames` frames); true when it
   * did, with the result in `out`. */
  bool check (const GstVideoFrame * frame, GstClockTime stream_time,
      GstClockTime interval, CameraShift & out, guint fallback_frames = 60);

  /* Forgets the last estimate's time: the next frame is checked. */
  void reset_timer () { have_last_ = false; }

private:
  std::unique_ptr<CameraShiftEstimator> estimator_;
  std::vector<cv::Rect> layout_boxes_;
  cv::Size frame_;
  CameraShift reported_;                /* the last shift reported (none: 0, 0) */
  cv::Point applied_;                   /* the boxes' offset from the layout */
  bool have_last_ = false;
  GstClockTime last_ = GST_CLOCK_TIME_NONE;
  guint frames_since_ = 0;
  cv::Mat scratch_;
};

}  // namespace wellmonitor
