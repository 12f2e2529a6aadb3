/* Whether the camera still shows the table: a camera that is covered, fogged
 * or in the dark shows nothing a model can score, and is reported like a
 * camera lost ("wellmonitor-camera-obscured").
 *
 * measure_view () gives a picture's contrast (the standard deviation of its
 * luma) and sharpness (the variance of its Laplacian) over the wells' area,
 * reduced to at most 480 pixels across; ObscuredWatch compares each measure
 * with the reference frame's: a view far below it in either for some seconds
 * is obscured, and clear again once both are back. ViewWatchdog runs them on
 * a mapped video frame twice a second, for the element.
 *
 * OpenCV alone, and GStreamer's video frames: no LibTorch. */
#pragma once

#include <gst/video/video.h>

#include <opencv2/core.hpp>

#include <memory>
#include <vector>

namespace wellmonitor {

struct ViewMeasure
{
  double contrast = 0.0;        /* standard deviation of the luma, 0..127.5 */
  double sharpness = 0.0;       /* variance of the luma's Laplacian */
};

/* The measure of `image` (grey, BGR or BGRA) within `area` (clipped to the
 * image; empty: the whole image). */
ViewMeasure measure_view (const cv::Mat & image, const cv::Rect & area);

/* The wells' area: the smallest box around all of `boxes`, clipped to a
 * `frame`-sized picture. */
cv::Rect wells_area (const std::vector<cv::Rect> & boxes, cv::Size frame);

/* What the element asks (its properties). */
struct ObscuredSettings
{
  /* obscured when the contrast falls under this fraction of the reference's */
  double contrast = 0.35;
  /* ... or the sharpness under this fraction of the reference's */
  double sharpness = 0.1;
  /* for at least this many seconds; 0: never reported */
  double seconds = 5.0;
};

enum class ViewChange { kNone, kObscured, kClear };

/* The decision over time, on measures. */
class ObscuredWatch
{
public:
  /* The picture becomes obscured only after it has been so this long, and
   * clear once it has been back this long: */
  static constexpr double kClearSeconds = 1.0;
  /* ... with both measures over the fractions times this (no flapping at
   * the limit). */
  static constexpr double kClearMargin = 1.25;

  explicit ObscuredWatch (const ViewMeasure & reference = ViewMeasure ())
    : reference_ (reference) {}

  /* A measure taken at `t` seconds (any origin, increasing; a step back
   * starts the timing again): kObscured or kClear when the state changes. */
  ViewChange update (double t, const ViewMeasure & m, const ObscuredSettings & s);

  bool obscured () const { return obscured_; }
  const ViewMeasure & reference () const { return reference_; }

private:
  ViewMeasure reference_;
  bool obscured_ = false;
  bool timing_ = false;         /* a run of measures against the state */
  double since_ = 0.0;          /* when that run began */
  double last_ = 0.0;
};

/* The watch on a running stream. */
class ViewWatchdog
{
public:
  /* Measures taken twice a second. */
  static constexpr double kCheckSeconds = 0.5;

  /* (Re)arms it for frames of `info` whose wells are `boxes`; `reference` as
   * load_reference_frame () reads it (scaled to the frame). False, and
   * unarmed, when the reference shows no contrast or sharpness over the
   * wells (nothing to compare with). */
  bool configure (const cv::Mat & reference, const GstVideoInfo * info,
      const std::vector<cv::Rect> & boxes);
  void clear ();
  bool armed () const { return watch_ != nullptr; }

  /* Per frame at `t` seconds: measures when due, and says when the view
   * became obscured or clear. */
  ViewChange update (const GstVideoFrame * frame, double t,
      const ObscuredSettings & s);

  bool obscured () const { return watch_ && watch_->obscured (); }
  const ViewMeasure & reference () const { return watch_->reference (); }
  /* The last measure taken. */
  const ViewMeasure & last () const { return last_; }

private:
  std::unique_ptr<ObscuredWatch> watch_;
  cv::Rect area_;
  ViewMeasure last_;
  bool measured_ = false;
  double last_t_ = 0.0;
};

}  // namespace wellmonitor
