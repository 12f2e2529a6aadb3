/* The camera-shift watchdog of wellmonitor. */

#include "camera-shift.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace wellmonitor {

namespace {

/* The correlation works on at most this many pixels across: the table's
 * edges and the cups' rims survive, a DFT of it costs a few ms. */
constexpr int kWorkWidth = 640;
/* Smoothing before the correlation (work pixels): compression noise and
 * the cups' fine texture would otherwise weigh as much as the table's edges,
 * since phase correlation whitens the spectrum. */
constexpr double kBlurSigma = 1.0;
/* How softly the wells fade out of the reference (work pixels): a hard
 * edge would be a feature of its own. */
constexpr double kFadeSigma = 2.0;

cv::Mat
to_grey (const cv::Mat & image)
{
  if (image.channels () == 1)
    return image;
  cv::Mat grey;
  cv::cvtColor (image, grey, image.channels () == 4 ? cv::COLOR_BGRA2GRAY :
      cv::COLOR_BGR2GRAY);
  return grey;
}

}  // namespace

CameraShiftEstimator::CameraShiftEstimator (const cv::Mat & reference,
    cv::Size frame, const std::vector<cv::Rect> & wells, double well_margin)
  : frame_ (frame)
{
  if (reference.empty ())
    throw std::invalid_argument ("the reference frame is empty");
  if (frame.width < 16 || frame.height < 16)
    throw std::invalid_argument ("the frame is too small for a shift estimate");
  scale_ = std::min (1.0, (double) kWorkWidth / frame.width);
  work_ = cv::Size (std::max (16, (int) std::lround (frame.width * scale_)),
      std::max (16, (int) std::lround (frame.height * scale_)));

  cv::Mat ref;
  cv::resize (to_grey (reference), ref, frame_, 0, 0, cv::INTER_AREA);
  reference_ = prepare (ref);

  /* the wells fade out to the table's mean grey */
  cv::Mat mask (work_, CV_32F, cv::Scalar (1.0));
  for (const cv::Rect & b : wells) {
    const double mx = b.width * well_margin, my = b.height * well_margin;
    const cv::Rect r ((int) std::floor ((b.x - mx) * scale_),
        (int) std::floor ((b.y - my) * scale_),
        (int) std::ceil ((b.width + 2 * mx) * scale_) + 1,
        (int) std::ceil ((b.height + 2 * my) * scale_) + 1);
    mask (r & cv::Rect (cv::Point (0, 0), work_)).setTo (0.0);
  }
  cv::GaussianBlur (mask, mask, cv::Size (), kFadeSigma);
  const double weight = cv::sum (mask)[0];
  if (weight < 0.05 * work_.area ())
    throw std::invalid_argument ("the wells cover the whole frame: no static "
        "part is left to estimate a shift on");
  const double mean = cv::sum (reference_.mul (mask))[0] / weight;
  reference_ = (reference_ - mean).mul (mask) + mean;

  cv::createHanningWindow (window_, work_, CV_32F);
}

cv::Mat
CameraShiftEstimator::prepare (const cv::Mat & image) const
{
  cv::Mat small, f;
  cv::resize (image, small, work_, 0, 0, cv::INTER_AREA);
  to_grey (small).convertTo (f, CV_32F);
  cv::GaussianBlur (f, f, cv::Size (), kBlurSigma);
  return f;
}

CameraShift
CameraShiftEstimator::estimate (const cv::Mat & frame) const
{
  if (frame.empty () || frame.size () != frame_)
    throw std::invalid_argument ("the frame's size is not the one the "
        "estimator was made for");
  const cv::Mat cur = prepare (frame);
  double response = 0.0;
  const cv::Point2d p = cv::phaseCorrelate (reference_, cur, window_, &response);
  CameraShift s;
  s.dx = p.x / scale_;
  s.dy = p.y / scale_;
  s.confidence = std::isfinite (response) ? response : 0.0;
  return s;
}

cv::Mat
load_reference_frame (const std::string & path)
{
  cv::Mat m;
  try {
    m = cv::imread (path, cv::IMREAD_GRAYSCALE);
  } catch (const cv::Exception & e) {
    throw std::runtime_error (path + ": cannot read the reference frame: " +
        e.what ());
  }
  if (m.empty ())
    throw std::runtime_error (path + ": cannot read the reference frame (not "
        "an image OpenCV reads, or missing)");
  return m;
}

cv::Mat
plane_view (const GstVideoFrame * frame)
{
  int type;
  switch (GST_VIDEO_FRAME_FORMAT (frame)) {
    case GST_VIDEO_FORMAT_GRAY8:
    case GST_VIDEO_FORMAT_I420:
    case GST_VIDEO_FORMAT_NV12:
      type = CV_8UC1;           /* the luma plane */
      break;
    case GST_VIDEO_FORMAT_BGR:
    case GST_VIDEO_FORMAT_RGB:
      type = CV_8UC3;
      break;
    default:
      type = CV_8UC4;           /* BGRx, BGRA, RGBx, RGBA */
      break;
  }
  return cv::Mat (GST_VIDEO_FRAME_HEIGHT (frame), GST_VIDEO_FRAME_WIDTH (frame),
      type, GST_VIDEO_FRAME_PLANE_DATA (frame, 0),
      (size_t) GST_VIDEO_FRAME_PLANE_STRIDE (frame, 0));
}

/* ------------------------------------------------------------- watchdog */

void
CameraShiftWatchdog::configure (const cv::Mat & reference,
    const GstVideoInfo * info, const std::vector<cv::Rect> & boxes)
{
  estimator_ = std::make_unique<CameraShiftEstimator> (reference,
      cv::Size (GST_VIDEO_INFO_WIDTH (info), GST_VIDEO_INFO_HEIGHT (info)),
      boxes);
  layout_boxes_ = boxes;
  frame_ = cv::Size (GST_VIDEO_INFO_WIDTH (info), GST_VIDEO_INFO_HEIGHT (info));
  reported_ = CameraShift ();
  applied_ = cv::Point ();
  have_last_ = false;
  frames_since_ = 0;
}

bool
CameraShiftWatchdog::update (const GstVideoFrame * frame,
    GstClockTime stream_time, const CameraShiftSettings & s, CameraMove & out,
    std::vector<cv::Rect> & boxes)
{
  CameraShift now;
  if (!check (frame, stream_time, s.interval, now))
    return false;
  if (now.confidence < s.min_confidence)
    return false;
  if (std::hypot (now.dx - reported_.dx, now.dy - reported_.dy) <= s.tolerance)
    return false;
  reported_ = now;
  out = CameraMove ();
  out.shift = now;
  out.offset = applied_;
  if (s.follow && boxes.size () == layout_boxes_.size ()) {
    out.offset = cv::Point ((int) std::lround (now.dx), (int) std::lround (now.dy));
    for (size_t i = 0; i < boxes.size (); i++) {
      cv::Rect b = layout_boxes_[i] + out.offset;
      b.x = std::clamp (b.x, 0, std::max (0, frame_.width - b.width));
      b.y = std::clamp (b.y, 0, std::max (0, frame_.height - b.height));
      boxes[i] = b;
    }
    out.followed = true;
    applied_ = out.offset;
  }
  return true;
}

void
CameraShiftWatchdog::clear ()
{
  estimator_.reset ();
  layout_boxes_.clear ();
  reported_ = CameraShift ();
  applied_ = cv::Point ();
  have_last_ = false;
  frames_since_ = 0;
}

bool
CameraShiftWatchdog::check (const GstVideoFrame * frame,
    GstClockTime stream_time, GstClockTime interval, CameraShift & out,
    guint fallback_frames)
{
  if (!estimator_)
    return false;
  frames_since_++;
  bool due = !have_last_;
  if (!due) {
    if (GST_CLOCK_TIME_IS_VALID (stream_time) && GST_CLOCK_TIME_IS_VALID (last_))
      due = stream_time < last_ || stream_time - last_ >= interval;
    else
      due = frames_since_ >= fallback_frames;
  }
  if (!due)
    return false;

  out = estimator_->estimate (plane_view (frame));
  have_last_ = true;
  last_ = stream_time;
  frames_since_ = 0;
  return true;
}

}  // namespace wellmonitor
