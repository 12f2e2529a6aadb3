/* What wellmonitor does, behind its GObject glue. */

#include "monitor-core.h"

#include "monitor-messages.h"

#include "wellmonitor/camera_events.h"

#include "wellmonitor/errors.h"

#include <cstdarg>
#include <exception>

#define CORE_LOG(level, ...) GST_CAT_LEVEL_LOG (cat_, level, log_object_, __VA_ARGS__)

namespace wellmonitor {

namespace {

std::string printf_string (const char *format, ...) G_GNUC_PRINTF (1, 2);

std::string
printf_string (const char *format, ...)
{
  va_list args;
  va_start (args, format);
  gchar *s = g_strdup_vprintf (format, args);
  va_end (args);
  std::string out = s;
  g_free (s);
  return out;
}

}  // namespace

MonitorCore::MonitorCore (MonitorHost & host, GstDebugCategory * category,
    GObject * log_object)
  : host_ (host), cat_ (category), log_object_ (log_object)
{
}

MonitorCore::~MonitorCore ()
{
  reset ();
}

void
MonitorCore::reset ()
{
  reload_.stop ();
  analysis_.clear ();
  schedule_.reset ();
  model_path_.clear ();
  wells_path_.clear ();
  width_ = height_ = 0;
  frame_seconds_ = 0.04;
  stretch_ = false;
  have_refused_ = false;
  last_times_ = BufferTimes ();
  last_index_ = 0;
  camera_lost_ = false;
}

std::string
MonitorCore::device () const
{
  return analysis_.started () ? analysis_.scorer ().device_name () : "";
}

/* ---------------------------------------------------------------- start/stop */

bool
MonitorCore::start (const MonitorProperties & props)
{
  const std::string model = props.model.value_or ("");
  const std::string wells = props.wells.value_or ("");
  const std::string device = props.device.value_or ("auto");

  reset ();
  model_path_ = model;
  wells_path_ = wells;
  MonitorFiles files;
  const OpenError e = open_monitor (model, wells, device, props.threads,
      props.reference_frame.value_or (""), files);
  if (e.kind != OpenError::kNone) {
    /* GstBaseTransform posts nothing when start () fails */
    CORE_LOG (GST_LEVEL_WARNING, "error: %s", e.message.c_str ());
    host_.report (GST_MESSAGE_ERROR, GST_RESOURCE_ERROR,
        e.kind == OpenError::kNotFound ? GST_RESOURCE_ERROR_NOT_FOUND :
        e.kind == OpenError::kSettings ? GST_RESOURCE_ERROR_SETTINGS :
        GST_RESOURCE_ERROR_READ, e.message, e.details);
    return false;
  }
  CORE_LOG (GST_LEVEL_INFO, "%s", describe_model (files.scorer->info ()).c_str ());
  CORE_LOG (GST_LEVEL_INFO, "layout %s: %zu wells, reference %dx%d", wells.c_str (),
      files.layout.wells.size (), files.layout.ref_width,
      files.layout.ref_height);
  /* a new model runs at the count in use: no measurement while running */
  const int threads = files.scorer->info ().threads;
  analysis_.begin (std::move (files.layout), std::move (files.scorer),
      std::move (files.reference));

  /* what the loader thread reports: a refused file is a warning on the bus
   * that names it, and the property goes back to the file kept */
  Reloader::Callbacks callbacks;
  callbacks.refused = [this](ReloadKind kind, const std::string & path,
      const std::string & why, const std::string & kept, bool superseded) {
    const bool m = kind == ReloadKind::kModel;
    host_.report (GST_MESSAGE_WARNING, GST_RESOURCE_ERROR,
        GST_RESOURCE_ERROR_READ,
        printf_string ("The new %s '%s' was refused: %s. The monitor keeps "
            "'%s'.", m ? "model" : "well layout", path.c_str (), why.c_str (),
            kept.c_str ()), (m ? "model=" : "wells=") + path);
    if (!superseded)
      host_.revert (kind, path, kept);
  };
  callbacks.loaded = [this](ReloadKind, const std::string & path,
      bool superseded) {
    if (superseded)
      CORE_LOG (GST_LEVEL_DEBUG, "%s superseded before it was used", path.c_str ());
    else
      CORE_LOG (GST_LEVEL_INFO, "%s loaded, swapped in before the next frame",
          path.c_str ());
  };
  reload_.set_callbacks (std::move (callbacks));
  reload_.begin (model, wells, scorer_options (device, threads));
  return true;
}

void
MonitorCore::stop ()
{
  reload_.stop ();
  /* stopped without EOS (set to READY or NULL): the alarms still open end */
  if (analysis_.started ())
    end_alarms (AlarmEnd::kStopped);
  reset ();
}

/* ------------------------------------------------------- live reconfiguration */

void
MonitorCore::request_reload (ReloadKind kind, const std::string & path)
{
  reload_.request (kind, path);
  CORE_LOG (GST_LEVEL_INFO, "loading %s '%s' while running",
      kind == ReloadKind::kModel ? "model" : "layout", path.c_str ());
}

/* Before a frame: swaps in what the loader thread has loaded. A layout whose
 * wells do not fit the negotiated frame is refused, the old one kept. */
void
MonitorCore::apply_reloads (guint64 frame)
{
  std::unique_ptr<Scorer> scorer;
  std::unique_ptr<WellLayout> layout;
  if (!reload_.take (scorer, layout))
    return;                     /* never waits for the loader */

  if (scorer) {
    analysis_.use_model (std::move (scorer));
    model_path_ = analysis_.scorer ().info ().path;
    CORE_LOG (GST_LEVEL_INFO, "%s",
        describe_model (analysis_.scorer ().info ()).c_str ());
    host_.post (reconfigured_message (model_path_, wells_path_, frame));
  }
  if (!layout)
    return;
  std::vector<cv::Rect> boxes;
  const std::string why = analysis_.fit_layout (*layout, boxes, stretch_);
  if (!why.empty ()) {
    const std::string refused = layout->origin;
    reload_.refuse_wells (refused, wells_path_);
    host_.report (GST_MESSAGE_WARNING, GST_RESOURCE_ERROR,
        GST_RESOURCE_ERROR_READ,
        printf_string ("The new well layout '%s' was refused: %s. The "
            "monitor keeps '%s'.", refused.c_str (), why.c_str (),
            wells_path_.c_str ()), "wells=" + refused);
    host_.revert (ReloadKind::kWells, refused, wells_path_);
    return;
  }
  end_alarms (AlarmEnd::kLayoutChanged);  /* with the old wells' ids and boxes */
  wells_path_ = layout->origin;
  /* downstream, before the first frame with the new wells: their metas
   * cannot say why the old wells' alarms ended (wellpublish) */
  host_.push_event (gst_event_new_custom (GST_EVENT_CUSTOM_DOWNSTREAM,
          gst_structure_new (kLayoutChangedEvent, "wells", G_TYPE_STRING,
              wells_path_.c_str (), NULL)));
  analysis_.use_layout (std::move (*layout), std::move (boxes));
  CORE_LOG (GST_LEVEL_INFO, "layout %s in use from frame %" G_GUINT64_FORMAT
      ": %zu wells", wells_path_.c_str (), frame,
      analysis_.layout ().wells.size ());
  host_.post (reconfigured_message (model_path_, wells_path_, frame));
}

/* ------------------------------------------------------------------- caps */

bool
MonitorCore::set_info (const GstVideoInfo * info, bool stretch)
{
  const int w = GST_VIDEO_INFO_WIDTH (info);
  const int h = GST_VIDEO_INFO_HEIGHT (info);
  /* upstream offers refused caps again with every event and buffer: one
   * error is enough */
  if (have_refused_ && refused_stretch_ == stretch
      && gst_video_info_is_equal (info, &refused_))
    return false;
  have_refused_ = false;
  if (!set_info_checked (info, stretch, w, h)) {
    refused_ = *info;
    refused_stretch_ = stretch;
    have_refused_ = true;
    return false;
  }
  return true;
}

bool
MonitorCore::set_info_checked (const GstVideoInfo * info, bool stretch, int w,
    int h)
{
  if (!analysis_.started ()) {
    host_.report (GST_MESSAGE_ERROR, GST_CORE_ERROR,
        GST_CORE_ERROR_NEGOTIATION, "",
        "caps set before the element was started");
    return false;
  }
  const std::string mismatch = aspect_mismatch (analysis_.layout (), w, h);
  if (!mismatch.empty () && !stretch) {
    std::string text = mismatch + ". Give a stream of the layout's shape "
        "(scale or crop it), or set stretch=true (the scripts' --stretch) to "
        "stretch the boxes onto it.";
    text[0] = g_ascii_toupper (text[0]);
    host_.report (GST_MESSAGE_ERROR, GST_CORE_ERROR,
        GST_CORE_ERROR_NEGOTIATION, text, "caps refused: not-negotiated");
    return false;
  }
  if (!mismatch.empty ())
    CORE_LOG (GST_LEVEL_WARNING, "%s; stretched (stretch=true)",
        mismatch.c_str ());
  std::string why, details;
  bool failed = false;
  try {
    why = analysis_.configure (info);
  } catch (const std::exception & e) {
    failed = true;
    details = error_text (e);
  } catch (...) {
    failed = true;
    details = "unknown exception";
  }
  if (failed) {
    host_.report (GST_MESSAGE_ERROR, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
        printf_string ("Could not place the wells of layout '%s' in a %dx%d "
            "frame.", analysis_.layout ().origin.c_str (), w, h), details);
    return false;
  }
  if (!why.empty ()) {
    why[0] = g_ascii_toupper (why[0]);
    host_.report (GST_MESSAGE_ERROR, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
        why + ".", "");
    return false;
  }
  if (width_ != 0 && (width_ != w || height_ != h))
    CORE_LOG (GST_LEVEL_INFO, "resolution changed from %dx%d to %dx%d, boxes "
        "rescaled", width_, height_, w, h);
  width_ = w;
  height_ = h;
  stretch_ = stretch;
  frame_seconds_ = GST_VIDEO_INFO_FPS_N (info) > 0 && GST_VIDEO_INFO_FPS_D (info) > 0 ?
      (double) GST_VIDEO_INFO_FPS_D (info) / GST_VIDEO_INFO_FPS_N (info) : 0.04;
  if (analysis_.has_reference () && !analysis_.view_armed ())
    host_.report (GST_MESSAGE_WARNING, GST_RESOURCE_ERROR,
        GST_RESOURCE_ERROR_SETTINGS, "The reference frame shows no contrast "
        "over the wells: the obscured-camera check is off.", "");
  CORE_LOG (GST_LEVEL_DEBUG, "%s %dx%d, %zu wells",
      gst_video_format_to_string (GST_VIDEO_INFO_FORMAT (info)), w, h,
      analysis_.boxes ().size ());
  return true;
}

/* ------------------------------------------------------------------ events */

void
MonitorCore::eos ()
{
  /* the stream ends: so does every alarm, before the EOS goes on */
  end_alarms (AlarmEnd::kStopped);
  const FrameCounters & c = schedule_.counters ();
  CORE_LOG (GST_LEVEL_INFO, "EOS: %" G_GUINT64_FORMAT " frames in, %"
      G_GUINT64_FORMAT " analysed, %" G_GUINT64_FORMAT " skipped (%"
      G_GUINT64_FORMAT " of them late)", c.frames, c.analysed, c.skipped,
      c.late);
  host_.post (summary_message (c));
}

void
MonitorCore::flush ()
{
  /* a flushing seek: the frames before it say nothing about the ones after;
   * the alarms end as at a stop (the event contract's "playback jumped") */
  CORE_LOG (GST_LEVEL_DEBUG, "flush: alarms ended");
  end_alarms (AlarmEnd::kStopped);
  schedule_.flush ();
}

void
MonitorCore::camera_lost (const std::string & reason)
{
  CORE_LOG (GST_LEVEL_WARNING, "camera lost (%s): alarms ended, no frame "
      "analysed until it is back", reason.c_str ());
  end_alarms (AlarmEnd::kCameraLost);
  camera_lost_ = true;
  host_.post (camera_lost_message (reason, last_times_, last_index_));
}

void
MonitorCore::camera_back ()
{
  CORE_LOG (GST_LEVEL_INFO, "camera back: analysing again");
  camera_lost_ = false;
  host_.post (camera_back_message (last_times_, last_index_));
}

void
MonitorCore::end_alarms (AlarmEnd reason)
{
  if (analysis_.started ())
    post_changes (analysis_.end_all (reason), last_times_, last_index_);
}

void
MonitorCore::qos (GstClockTimeDiff diff, GstClockTime timestamp)
{
  schedule_.qos (diff, timestamp);
  CORE_LOG (GST_LEVEL_LOG, "QoS: diff %" G_GINT64_FORMAT ", earliest %"
      GST_TIME_FORMAT, diff, GST_TIME_ARGS (schedule_.earliest ()));
}

/* ------------------------------------------------------------------ frames */

void
MonitorCore::post_changes (const std::vector<AlarmChange> & changes,
    const BufferTimes & times, guint64 frame)
{
  for (const AlarmChange & ev : changes) {
    const std::string & id = analysis_.layout ().wells[ev.well].id;
    if (ev.alarm)
      CORE_LOG (GST_LEVEL_WARNING, "well %s in alarm at frame %" G_GUINT64_FORMAT
          ": score %g > threshold %g", id.c_str (), frame, ev.score,
          analysis_.threshold ());
    else
      CORE_LOG (GST_LEVEL_INFO, "well %s alarm ended (%s) at frame %"
          G_GUINT64_FORMAT ": score %g", id.c_str (),
          alarm_end_name (ev.reason), frame, ev.score);
    host_.post (alarm_message (ev, id, analysis_.threshold (),
            analysis_.boxes ()[ev.well], times, frame));
  }
}

/* The camera-shift watchdog, then, when the schedule says so, the scores and
 * alarms; the metas on every frame. */
void
MonitorCore::handle (GstVideoFrame * frame, const FrameSettings & settings,
    const BufferTimes & times, const FrameTurn & turn)
{
  CameraMove move;
  if (analysis_.watch_camera (frame, times.stream_time, settings.shift, move)) {
    CORE_LOG (GST_LEVEL_WARNING, "camera moved by %.1f, %.1f px (confidence %.2f)%s",
        move.shift.dx, move.shift.dy, move.shift.confidence,
        move.followed ? ": boxes follow" : "");
    /* the same structure downstream (wellpublish publishes it):
     * kCameraMovedEvent of wellmonitor/camera_events.h */
    GstStructure *s = camera_moved_message (move, times, turn.index);
    host_.push_event (gst_event_new_custom (GST_EVENT_CUSTOM_DOWNSTREAM,
            gst_structure_copy (s)));
    host_.post (s);
  }
  if (turn.analyse) {
    AlarmTime when;
    when.wall_us = g_get_real_time ();
    when.running_ns = times.running_time;
    /* the time an analysed frame stands for: its duration, else the caps'
     * frame rate, times the frames between two analysed ones */
    const GstClockTime duration = GST_BUFFER_DURATION (frame->buffer);
    when.period_ns = (GST_CLOCK_TIME_IS_VALID (duration) && duration > 0 ?
        duration : (GstClockTime) (frame_seconds_ * GST_SECOND)) *
        MAX (settings.interval, 1u);
    FrameScoring scoring;
    const std::vector<AlarmChange> & changes = analysis_.analyse (frame,
        settings.threshold, settings.rule, when, scoring);
    CORE_LOG (GST_LEVEL_LOG, "%zu wells: crops %.2f ms, scores %.2f ms",
        analysis_.boxes ().size (), scoring.crop_ms, scoring.score_ms);
    if (scoring.non_finite_well >= 0) {
      const size_t i = (size_t) scoring.non_finite_well;
      host_.report (GST_MESSAGE_WARNING, GST_STREAM_ERROR,
          GST_STREAM_ERROR_FAILED,
          printf_string ("The model scored well '%s' %g, not a number; such "
              "wells are treated as anomalous. The model file is unusable.",
              analysis_.layout ().wells[i].id.c_str (),
              analysis_.alarms ().well (i).score),
          printf_string ("frame %" G_GUINT64_FORMAT ", well %zu", turn.index,
              i));
    }
    post_changes (changes, times, turn.index);
  }
  analysis_.add_metas (frame->buffer, turn.analyse, turn.late);
  if (turn.analyse && settings.post_scores)
    host_.post (scores_message (analysis_.well_ids (),
            analysis_.alarms ().wells (), analysis_.threshold (),
            schedule_.counters (), times, turn.index));
}

/* The obscured-camera check: an obscured view ends the alarms (then says
 * so, on the bus and downstream); no frame is analysed until it is clear. */
void
MonitorCore::watch_view (GstVideoFrame * frame, const FrameSettings & settings,
    const BufferTimes & times, guint64 index)
{
  const double t = GST_CLOCK_TIME_IS_VALID (times.running_time) ?
      (double) times.running_time / GST_SECOND : index * frame_seconds_;
  const ViewChange change = analysis_.watch_view (frame, t, settings.obscured);
  if (change == ViewChange::kNone)
    return;
  const bool obscured = change == ViewChange::kObscured;
  const ViewMeasure & now = analysis_.view ().last ();
  const ViewMeasure & ref = analysis_.view ().reference ();
  CORE_LOG (GST_LEVEL_WARNING, "camera %s: contrast %.1f (reference %.1f), "
      "sharpness %.1f (reference %.1f)", obscured ? "obscured" : "clear again",
      now.contrast, ref.contrast, now.sharpness, ref.sharpness);
  if (obscured)
    end_alarms (AlarmEnd::kCameraObscured);
  /* the same structure downstream (wellpublish): kCameraObscuredEvent or
   * kCameraUnobscuredEvent of wellmonitor/camera_events.h */
  GstStructure *s = camera_view_message (obscured, now, ref, times, index);
  host_.push_event (gst_event_new_custom (GST_EVENT_CUSTOM_DOWNSTREAM,
          gst_structure_copy (s)));
  host_.post (s);
}

/* The wells shelved or put back since the last frame: an alarm on a shelved
 * well ends (reason shelved); each change is logged and posted. */
void
MonitorCore::apply_shelving (const BufferTimes & times, guint64 index)
{
  if (!analysis_.started ())
    return;
  const ShelveOutcome out = analysis_.apply_shelving (shelving_);
  post_changes (out.ends, times, index);
  for (const ShelveChange & c : out.changes) {
    CORE_LOG (GST_LEVEL_INFO, "well %s %s by %s%s%s", c.well.c_str (),
        c.shelved ? "shelved" : "put back", c.by.empty ()? "?" : c.by.c_str (),
        c.note.empty ()? "" : ": ", c.note.c_str ());
    host_.post (shelved_message (c, times, index));
  }
  for (const std::string & id : out.unknown)
    host_.report (GST_MESSAGE_WARNING, GST_RESOURCE_ERROR,
        GST_RESOURCE_ERROR_SETTINGS, printf_string ("No well '%s' in the "
            "layout %s: it cannot be shelved.", id.c_str (),
            wells_path_.c_str ()), "");
}

GstFlowReturn
MonitorCore::frame (GstVideoFrame * frame, const FrameSettings & settings,
    const GstSegment * segment, bool qos)
{
  const guint64 index = schedule_.next_index ();
  const BufferTimes times = buffer_times (segment,
      GST_BUFFER_PTS (frame->buffer));
  last_times_ = times;
  last_index_ = index;
  apply_reloads (index);
  if (GST_BUFFER_IS_DISCONT (frame->buffer) && index > 0) {
    /* frames are missing before this one: runs of frames over or under the
     * threshold start again; an alarm in progress stays open */
    CORE_LOG (GST_LEVEL_DEBUG, "discontinuity at frame %" G_GUINT64_FORMAT
        ": counts start again", index);
    analysis_.gap ();
  }

  std::string why;
  try {
    apply_shelving (times, index);
    watch_view (frame, settings, times, index);
    /* late by downstream's QoS: passed on with the last scores, so that the
     * newest frame is analysed once the element has caught up; none while
     * the camera is lost or obscured */
    const FrameTurn turn = schedule_.next (times.running_time,
        settings.interval, analysis_.have_scores (), qos,
        camera_lost_ || analysis_.obscured ());
    if (turn.late)
      CORE_LOG (GST_LEVEL_LOG, "frame %" G_GUINT64_FORMAT " late: not "
          "analysed", index);
    handle (frame, settings, times, turn);
    return GST_FLOW_OK;
  } catch (const std::exception & e) {
    why = error_text (e);
  } catch (...) {
    why = "unknown exception";
  }
  host_.report (GST_MESSAGE_ERROR, GST_STREAM_ERROR, GST_STREAM_ERROR_FAILED,
      printf_string ("Could not score the wells of frame %" G_GUINT64_FORMAT
          ".", index), why);
  return GST_FLOW_ERROR;
}

}  // namespace wellmonitor
