/* Whether the camera still shows the table. */

#include "camera-view.h"

#include "camera-shift.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>

namespace wellmonitor {

namespace {

/* The measure works on at most this many pixels across: enough for the
 * cups' rims and the table's edges, little enough to cost about a
 * millisecond; and a stream's compression noise is averaged away. */
constexpr int kWorkWidth = 480;

}  // namespace

ViewMeasure
measure_view (const cv::Mat & image, const cv::Rect & area)
{
  const cv::Rect whole (0, 0, image.cols, image.rows);
  const cv::Rect a = area.empty () ? whole : (area & whole);
  ViewMeasure m;
  if (a.width < 3 || a.height < 3)
    return m;
  cv::Mat small, grey;
  const double scale = std::min (1.0, (double) kWorkWidth / a.width);
  if (scale < 1.0)
    cv::resize (image (a), small, cv::Size (), scale, scale, cv::INTER_AREA);
  else
    small = image (a);
  if (small.channels () == 1)
    grey = small;
  else
    cv::cvtColor (small, grey, small.channels () == 4 ? cv::COLOR_BGRA2GRAY :
        cv::COLOR_BGR2GRAY);
  cv::Scalar mean, sd;
  cv::meanStdDev (grey, mean, sd);
  m.contrast = sd[0];
  cv::Mat lap;
  cv::Laplacian (grey, lap, CV_32F);
  cv::meanStdDev (lap, mean, sd);
  m.sharpness = sd[0] * sd[0];
  return m;
}

cv::Rect
wells_area (const std::vector<cv::Rect> & boxes, cv::Size frame)
{
  cv::Rect area;
  for (const cv::Rect & b : boxes)
    area = area.empty () ? b : (area | b);
  return area & cv::Rect (cv::Point (0, 0), frame);
}

/* -------------------------------------------------------------- the watch */

ViewChange
ObscuredWatch::update (double t, const ViewMeasure & m,
    const ObscuredSettings & s)
{
  if (s.seconds <= 0.0) {
    /* off: an obscured view is clear again at once */
    timing_ = false;
    if (!obscured_)
      return ViewChange::kNone;
    obscured_ = false;
    return ViewChange::kClear;
  }
  if (timing_ && t < last_)
    timing_ = false;            /* a step back in time: start again */
  last_ = t;
  const bool low = m.contrast < s.contrast * reference_.contrast
      || m.sharpness < s.sharpness * reference_.sharpness;
  const bool high = m.contrast >= kClearMargin * s.contrast * reference_.contrast
      && m.sharpness >= kClearMargin * s.sharpness * reference_.sharpness;
  /* a run of measures that says the state should change */
  const bool against = obscured_ ? high : low;
  if (!against) {
    timing_ = false;
    return ViewChange::kNone;
  }
  if (!timing_) {
    timing_ = true;
    since_ = t;
  }
  if (t - since_ < (obscured_ ? kClearSeconds : s.seconds))
    return ViewChange::kNone;
  timing_ = false;
  obscured_ = !obscured_;
  return obscured_ ? ViewChange::kObscured : ViewChange::kClear;
}

/* ------------------------------------------------------------ the watchdog */

bool
ViewWatchdog::configure (const cv::Mat & reference, const GstVideoInfo * info,
    const std::vector<cv::Rect> & boxes)
{
  clear ();
  const cv::Size frame (GST_VIDEO_INFO_WIDTH (info),
      GST_VIDEO_INFO_HEIGHT (info));
  cv::Mat scaled;
  cv::resize (reference, scaled, frame, 0, 0, cv::INTER_AREA);
  area_ = wells_area (boxes, frame);
  const ViewMeasure ref = measure_view (scaled, area_);
  if (!(ref.contrast > 0.0) || !(ref.sharpness > 0.0))
    return false;
  watch_ = std::make_unique<ObscuredWatch> (ref);
  return true;
}

void
ViewWatchdog::clear ()
{
  watch_.reset ();
  last_ = ViewMeasure ();
  measured_ = false;
}

ViewChange
ViewWatchdog::update (const GstVideoFrame * frame, double t,
    const ObscuredSettings & s)
{
  if (!watch_)
    return ViewChange::kNone;
  const bool due = !measured_ || t < last_t_ || t - last_t_ >= kCheckSeconds;
  if (!due)
    return ViewChange::kNone;
  last_ = measure_view (plane_view (frame), area_);
  measured_ = true;
  last_t_ = t;
  return watch_->update (t, last_, s);
}

}  // namespace wellmonitor
