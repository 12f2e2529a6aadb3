/* The wells of one stream, frame by frame: the layout's boxes placed in the
 * negotiated frame (and moved by the camera-shift watchdog), their crops,
 * their scores in one batched pass and their alarms (AlarmLifecycle). The
 * element hands it each frame and posts what it returns; a model or layout
 * loaded while running is swapped in here between two frames.
 *
 * GStreamer's video frames and buffers, but no element: tests drive it with
 * frames mapped from images. */
#pragma once

#include "camera-shift.h"
#include "camera-view.h"
#include "shelving.h"
#include "well-crops.h"

#include "wellmonitor/alarm_lifecycle.h"
#include "wellmonitor/layout.h"
#include "wellmonitor/scorer.h"

#include <gst/video/video.h>

#include <opencv2/core.hpp>

#include <memory>
#include <string>
#include <vector>

namespace wellmonitor {

/* What analyse () did on a frame besides deciding the alarms. */
struct FrameScoring
{
  double crop_ms = 0.0;         /* extracting the crops */
  double score_ms = 0.0;        /* the forward pass */
  /* the first well scored NaN or infinite, reported once per start; -1: none */
  long non_finite_well = -1;
};

/* "" when a `width` x `height` stream has the shape (aspect ratio, within
 * 1%) of the layout's reference resolution; else why not, a clause that
 * names both sizes and the layout. */
std::string aspect_mismatch (const WellLayout & layout, int width, int height);

class WellAnalysis
{
public:
  WellAnalysis () = default;
  ~WellAnalysis ();
  WellAnalysis (const WellAnalysis &) = delete;
  WellAnalysis & operator= (const WellAnalysis &) = delete;

  /* The element starts: the layout and model opened for it, and the
   * reference frame of the camera-shift watchdog (empty: none). */
  void begin (WellLayout layout, std::unique_ptr<Scorer> scorer,
      cv::Mat reference = cv::Mat ());
  /* The element stops: everything forgotten. */
  void clear ();

  /* Frames of `info` from now on: places the boxes, prepares the crops and
   * arms the watchdog. Returns "" or, when the layout's wells do not fit,
   * why (the old placement stays). Throws std::exception when the crops or
   * the watchdog cannot be prepared. */
  std::string configure (const GstVideoInfo * info);
  bool configured () const { return format_ != GST_VIDEO_FORMAT_UNKNOWN; }
  /* Whether the obscured-camera check is armed (a reference frame was given
   * and shows contrast over the wells). */
  bool view_armed () const { return view_.armed (); }
  bool has_reference () const { return !reference_.empty (); }

  /* A model loaded while running: used from the next analysed frame; the
   * wells' alarms go on. */
  void use_model (std::unique_ptr<Scorer> scorer);
  /* A layout loaded while running: its boxes in the negotiated frame into
   * `boxes`, or why it does not fit (nothing changes): a box outside the
   * frame, or, unless `stretch`, another shape than the stream's. Never
   * throws. */
  std::string fit_layout (const WellLayout & layout,
      std::vector<cv::Rect> & boxes, bool stretch);
  /* Swaps in a layout that fit_layout () accepted: every well starts afresh
   * (end its alarms first with end_all ()). */
  void use_layout (WellLayout layout, std::vector<cv::Rect> boxes);

  /* Scores every well of `frame` in one forward pass and decides their
   * alarms: `threshold` < 0 is the model file's. Returns the alarms that
   * started or ended (valid until the next call that changes alarms).
   * Throws std::exception when the model fails. */
  const std::vector<AlarmChange> & analyse (const GstVideoFrame * frame,
      double threshold, const AlarmRule & rule, const AlarmTime & when,
      FrameScoring & scoring);

  /* The camera-shift watchdog's turn on `frame` (when a reference was
   * given): true when it reports a move, in `move`; with `s.follow` the
   * boxes and crops moved with the table. */
  bool watch_camera (const GstVideoFrame * frame, GstClockTime stream_time,
      const CameraShiftSettings & s, CameraMove & move);

  /* The obscured-camera check's turn on `frame`, at `t` seconds: when the
   * view became obscured or clear again. */
  ViewChange watch_view (const GstVideoFrame * frame, double t,
      const ObscuredSettings & s);
  bool obscured () const { return view_.obscured (); }
  const ViewWatchdog & view () const { return view_; }

  /* Ends every alarm in progress with `reason` and starts every well afresh
   * (see AlarmLifecycle::end_all); the next frame is analysed whatever the
   * interval. */
  const std::vector<AlarmChange> & end_all (AlarmEnd reason);
  /* Frames were lost before the next one: every well's runs start again,
   * every alarm stays open (see AlarmLifecycle::gap); the next frame is
   * analysed whatever the interval. */
  void gap ();

  /* Every well's result on `buffer` (writable): the meta API of
   * well-meta.h. `analysed`: scored on this buffer. */
  void add_metas (GstBuffer * buffer, bool analysed, bool late = false) const;
  /* Brings the wells' shelving to what `shelving` asks (shelving.h). */
  ShelveOutcome apply_shelving (Shelving & shelving)
  {
    return shelving.apply (alarms_);
  }

  const WellLayout & layout () const { return layout_; }
  const std::vector<cv::Rect> & boxes () const { return boxes_; }
  const AlarmLifecycle & alarms () const { return alarms_; }
  const Scorer & scorer () const { return *scorer_; }
  bool started () const { return scorer_ != nullptr; }
  /* The threshold of the last analysed frame. */
  double threshold () const { return threshold_; }
  /* Whether the wells were scored since the start or the last end_all (). */
  bool have_scores () const { return have_scores_; }
  /* The wells' ids in layout order, a GstValueArray of strings. */
  const GValue * well_ids () const { return &well_ids_; }

private:
  void use_wells ();

  std::unique_ptr<Scorer> scorer_;
  WellLayout layout_;
  cv::Mat reference_;                   /* grey; empty: no watchdog */
  CameraShiftWatchdog watchdog_;
  ViewWatchdog view_;

  GstVideoInfo info_ {};                /* the negotiated frames */
  GstVideoFormat format_ = GST_VIDEO_FORMAT_UNKNOWN;
  std::vector<cv::Rect> boxes_;         /* per well, stream pixels */
  WellCrops crops_;                     /* per well, what the scorer sees */
  std::vector<double> scores_;          /* per well, of the analysed frame */

  AlarmLifecycle alarms_;
  double threshold_ = 0.0;
  bool have_scores_ = false;
  bool warned_non_finite_ = false;
  GValue well_ids_ = G_VALUE_INIT;
};

}  // namespace wellmonitor
