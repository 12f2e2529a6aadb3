/* The wells of one stream, frame by frame. */

#include "well-analysis.h"

#include "well-meta.h"

#include "wellmonitor/errors.h"

#include <glib.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace wellmonitor {

std::string
aspect_mismatch (const WellLayout & layout, int width, int height)
{
  if (layout.ref_width <= 0 || layout.ref_height <= 0 || width <= 0
      || height <= 0)
    return "";
  const double stream = (double) width / height;
  const double reference = (double) layout.ref_width / layout.ref_height;
  if (std::abs (stream / reference - 1.0) <= 0.01)
    return "";
  char text[512];
  std::snprintf (text, sizeof text, "the stream is %dx%d (aspect %.3f) but "
      "the layout '%s' was drawn on %dx%d (%.3f): its boxes would lie beside "
      "the wells", width, height, stream, layout.origin.c_str (),
      layout.ref_width, layout.ref_height, reference);
  return text;
}

WellAnalysis::~WellAnalysis ()
{
  clear ();
}

void
WellAnalysis::begin (WellLayout layout, std::unique_ptr<Scorer> scorer,
    cv::Mat reference)
{
  clear ();
  layout_ = std::move (layout);
  scorer_ = std::move (scorer);
  reference_ = std::move (reference);
  threshold_ = scorer_ ? scorer_->threshold () : 0.0;
  use_wells ();
}

void
WellAnalysis::clear ()
{
  scorer_.reset ();
  layout_ = WellLayout ();
  reference_.release ();
  watchdog_.clear ();
  view_.clear ();
  format_ = GST_VIDEO_FORMAT_UNKNOWN;
  boxes_.clear ();
  crops_.clear ();
  scores_.clear ();
  alarms_.set_wells ({});
  threshold_ = 0.0;
  have_scores_ = false;
  warned_non_finite_ = false;
  if (G_IS_VALUE (&well_ids_))
    g_value_unset (&well_ids_);
}

/* The wells of layout_: none in alarm, and the ids for the scores message. */
void
WellAnalysis::use_wells ()
{
  const size_t n = layout_.wells.size ();
  std::vector<std::string> ids;
  ids.reserve (n);
  for (const auto & w : layout_.wells)
    ids.push_back (w.id);
  alarms_.set_wells (ids);
  scores_.reserve (n);
  have_scores_ = false;
  if (G_IS_VALUE (&well_ids_))
    g_value_unset (&well_ids_);
  g_value_init (&well_ids_, GST_TYPE_ARRAY);
  for (const std::string & id : ids) {
    GValue v = G_VALUE_INIT;
    g_value_init (&v, G_TYPE_STRING);
    g_value_set_string (&v, id.c_str ());
    gst_value_array_append_and_take_value (&well_ids_, &v);
  }
}

std::string
WellAnalysis::configure (const GstVideoInfo * info)
{
  std::string why;
  std::vector<cv::Rect> boxes = place_wells (layout_,
      GST_VIDEO_INFO_WIDTH (info), GST_VIDEO_INFO_HEIGHT (info), why);
  if (!why.empty ())
    return why;
  crops_.configure (info, boxes);
  if (!reference_.empty ()) {
    watchdog_.configure (reference_, info, boxes);
    view_.configure (reference_, info, boxes);
  }
  boxes_ = std::move (boxes);
  info_ = *info;
  format_ = GST_VIDEO_INFO_FORMAT (info);
  return "";
}

void
WellAnalysis::use_model (std::unique_ptr<Scorer> scorer)
{
  scorer_ = std::move (scorer);
}

std::string
WellAnalysis::fit_layout (const WellLayout & layout,
    std::vector<cv::Rect> & boxes, bool stretch)
{
  std::string why;
  boxes.clear ();
  if (!configured ())
    return why;                 /* placed when the caps come */
  if (!stretch) {
    why = aspect_mismatch (layout, GST_VIDEO_INFO_WIDTH (&info_),
        GST_VIDEO_INFO_HEIGHT (&info_));
    if (!why.empty ())
      return why;
  }
  boxes = place_wells (layout, GST_VIDEO_INFO_WIDTH (&info_),
      GST_VIDEO_INFO_HEIGHT (&info_), why);
  if (!why.empty ())
    return why;
  try {
    crops_.configure (&info_, boxes);
  } catch (const std::exception & e) {
    why = error_text (e);
    crops_.configure (&info_, boxes_);
  }
  return why;
}

void
WellAnalysis::use_layout (WellLayout layout, std::vector<cv::Rect> boxes)
{
  layout_ = std::move (layout);
  boxes_ = std::move (boxes);
  use_wells ();
}

const std::vector<AlarmChange> &
WellAnalysis::analyse (const GstVideoFrame * frame, double threshold,
    const AlarmRule & rule, const AlarmTime & when, FrameScoring & scoring)
{
  const gint64 t0 = g_get_monotonic_time ();
  const std::vector<cv::Mat> & crops = crops_.extract (frame);
  const gint64 t1 = g_get_monotonic_time ();
  scorer_->score (crops, scores_);
  const gint64 t2 = g_get_monotonic_time ();
  scoring.crop_ms = (t1 - t0) / 1000.0;
  scoring.score_ms = (t2 - t1) / 1000.0;
  scoring.non_finite_well = -1;
  if (scores_.size () != alarms_.size ())
    throw std::runtime_error ("the model returned " +
        std::to_string (scores_.size ()) + " scores for " +
        std::to_string (alarms_.size ()) + " wells");

  threshold_ = threshold >= 0.0 ? threshold : scorer_->threshold ();
  /* a score that is no number is an anomaly (the alarm rule counts it as
   * one), never a silent normal; the caller says so once */
  for (size_t i = 0; i < scores_.size () && !warned_non_finite_; i++) {
    if (!std::isfinite (scores_[i])) {
      warned_non_finite_ = true;
      scoring.non_finite_well = (long) i;
    }
  }
  have_scores_ = true;
  return alarms_.decide (scores_, threshold_, rule, when);
}

bool
WellAnalysis::watch_camera (const GstVideoFrame * frame,
    GstClockTime stream_time, const CameraShiftSettings & s, CameraMove & move)
{
  if (!watchdog_.armed ())
    return false;
  if (!watchdog_.update (frame, stream_time, s, move, boxes_))
    return false;
  if (move.followed)
    crops_.configure (&frame->info, boxes_);
  return true;
}

ViewChange
WellAnalysis::watch_view (const GstVideoFrame * frame, double t,
    const ObscuredSettings & s)
{
  return view_.update (frame, t, s);
}

const std::vector<AlarmChange> &
WellAnalysis::end_all (AlarmEnd reason)
{
  have_scores_ = false;
  return alarms_.end_all (reason);
}

void
WellAnalysis::gap ()
{
  have_scores_ = false;
  alarms_.gap ();
}

void
WellAnalysis::add_metas (GstBuffer * buffer, bool analysed, bool late) const
{
  WellResult r;
  r.threshold = threshold_;
  r.analysed = analysed;
  r.late = late;
  r.named = true;
  for (size_t i = 0; i < alarms_.size (); i++) {
    const cv::Rect & b = boxes_[i];
    const WellAlarm & s = alarms_.well (i);
    r.index = (gint) i;
    r.id = layout_.wells[i].id;
    r.x = b.x;
    r.y = b.y;
    r.width = b.width;
    r.height = b.height;
    r.score = s.score;
    r.anomaly = s.anomaly;
    r.alarm = s.alarm;
    r.shelved = s.shelved;
    well_meta_add (buffer, r);
  }
}

}  // namespace wellmonitor
