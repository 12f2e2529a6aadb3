/* wellpublish's side of the streaming thread: metas and camera events in,
 * messages out. */

#include "well-events.h"

#include <algorithm>
#include <memory>

namespace wellpublish {

namespace {

/* The wells of the buffer as the publisher counts them: with an index (a
 * meta of a negative id is no well of a layout) and an id. */
bool
read_wells (GstBuffer * buffer, std::vector<wellmonitor::WellResult> & wells)
{
  wellmonitor::well_meta_read (buffer, wells);
  wells.erase (std::remove_if (wells.begin (), wells.end (),
          [](const wellmonitor::WellResult & w) { return w.index < 0; }),
      wells.end ());
  for (wellmonitor::WellResult & w : wells)
    if (!w.named)
      w.id = std::to_string (w.index);
  return !wells.empty ();
}

/* Wells beyond this index are no layout's (a layout has at most 256). */
constexpr gint kMaxWells = 4096;

/* A message of the retained present on CAMERA/`leaf` (a state, the stats, a
 * picture): kept by the broker for late subscribers, never spooled. */
Message
retained (const Settings & s, const std::string & leaf)
{
  Message m;
  m.topic = camera_topic (s.topic, s.event.camera, leaf);
  m.qos = s.qos;
  m.retain = true;
  m.transient = true;
  return m;
}

}  // namespace

void
WellEvents::reset ()
{
  alarms_ = wellmonitor::AlarmLifecycle ();
  states_.reset ();
  asked_.clear ();
  camera_state_ = "waiting";
  analysed_ = late_ = alarms_raised_ = clears_ = 0;
  last_frame_us_ = 0;
  threshold_ = -1.0;
  stats_frames_ = stats_analysed_ = 0;
  stats_us_ = 0;
  wells_.clear ();
  last_.clear ();
  times_ = wellmonitor::BufferTimes ();
  frames_ = 0;
  seq_ = 0;
  lost_us_ = 0;
}

Message
WellEvents::event_message (const GstVideoFrame * frame,
    const wellmonitor::WellResult & w, const wellmonitor::AlarmChange & c,
    const Settings & s, gint64 wall_us, guint64 index)
{
  std::shared_ptr<EventData> e = capture_event (frame, w, c, s.event, ++seq_,
      wall_us, times_, index);
  Message m;
  m.topic = event_topic (s.topic, s.event.camera, w.id);
  m.qos = s.qos;
  m.time_us = wall_us;
  m.prepare = [e](Message & msg) {
    msg.payload = render_event (*e);
  };
  if (log)
    log (c.alarm ? "alarm at well " + w.id + ", frame " + std::to_string (index)
        + " (event " + c.event_id + ")" : "clear at well " + w.id + ", frame "
        + std::to_string (index) + " (" + e->reason + ")");
  return m;
}

std::vector<Message>
WellEvents::frame (const GstVideoFrame * frame, const GstSegment * segment,
    const Settings & s, gint64 wall_us)
{
  std::vector<Message> out;
  const guint64 index = frames_++;
  if (!read_wells (frame->buffer, wells_))
    return out;

  times_ = wellmonitor::buffer_times (segment, GST_BUFFER_PTS (frame->buffer));
  wellmonitor::AlarmTime when;
  when.wall_us = wall_us;
  when.running_ns = times_.running_time;
  alarms_.set_scope (s.event.camera);

  bool analysed = false;
  for (const wellmonitor::WellResult & w : wells_) {
    if (w.index >= kMaxWells)
      continue;
    analysed = analysed || w.analysed;
    if ((size_t) w.index >= last_.size ())
      last_.resize (w.index + 1);
    last_[w.index] = w;
    const size_t i = (size_t) w.index;
    const bool was_shelved = i < alarms_.size () && alarms_.well (i).id == w.id
        && alarms_.well (i).shelved;
    const wellmonitor::AlarmChange *change = alarms_.follow (i, w.id, w.score,
        w.anomaly, w.alarm, when, w.shelved);
    if (change)
      out.push_back (event_message (frame, w, *change, s, wall_us, index));
    if (!s.publish_state)
      continue;
    WellState & st = states_.at (i, w.id);
    bool changed = !st.published;
    if (change) {
      state_change (frame, w, *change, s, wall_us, out);
      changed = true;
    }
    if (w.shelved != was_shelved) {
      /* wellmonitor applied a shelving: whose, if a command asked for it */
      OperatorAction a;
      a.kind = w.shelved ? "shelved" : "unshelved";
      a.well = w.id;
      a.by = "property";
      OperatorAction asked;
      gint64 since = wall_us;
      if (take_asked (w.id, asked)) {
        a.by = asked.by;
        a.note = asked.note;
        if (w.shelved && asked.since_us > 0 && asked.since_us < wall_us)
          since = asked.since_us;
      }
      if (states_.shelve (st, w.shelved, a.by, a.note, since)) {
        out.push_back (operator_message (a, s, wall_us));
        changed = true;
      }
    }
    if (changed) {
      const bool first = !st.published;
      wells_changed_ = wells_changed_ || !first || st.state != "normal";
      st.published = true;
      out.push_back (state_message (st, s, wall_us));
      /* the first, "normal", may go when the queue is full: a newer one
       * replaces it */
      out.back ().droppable = first && st.state == "normal";
    }
  }
  if (s.publish_state && !wells_.empty ()) {
    last_frame_us_ = wall_us;
    if (!lost_us_)
      camera_state_ = "up";
    if (wells_.front ().analysed)
      analysed_++;
    if (wells_.front ().late)
      late_++;
    threshold_ = wells_.front ().threshold;
  }

  if (s.publish_scores && analysed) {
    Message m;
    m.topic = camera_topic (s.topic, s.event.camera, "scores");
    m.qos = s.qos;
    m.droppable = true;
    m.time_us = wall_us;
    m.payload = render_scores (s.event.camera, ++seq_, wall_us, times_, index,
        wells_);
    out.push_back (std::move (m));
  }
  return out;
}

std::vector<Message>
WellEvents::end_all (wellmonitor::AlarmEnd reason, const Settings & s,
    gint64 wall_us)
{
  std::vector<Message> out;
  const guint64 index = frames_ > 0 ? frames_ - 1 : 0;
  const std::vector<wellmonitor::AlarmChange> ends = alarms_.end_all (reason);
  for (const wellmonitor::AlarmChange & c : ends) {
    if (c.well >= last_.size ())
      continue;
    out.push_back (event_message (nullptr, last_[c.well], c, s, wall_us,
            index));
    if (s.publish_state) {
      wells_changed_ = true;
      state_change (nullptr, last_[c.well], c, s, wall_us, out);
      out.push_back (state_message (states_.at (c.well, last_[c.well].id), s,
              wall_us));
    }
  }
  return out;
}

std::vector<Message>
WellEvents::camera (const std::string & kind, const std::string & reason,
    const Settings & s, gint64 wall_us, const CameraShift * shift)
{
  std::vector<Message> out;
  double down_s = -1;
  if (kind != "moved")
    camera_state_ = kind == "lost" || kind == "obscured" ? kind : "up";
  wells_changed_ = s.publish_state;
  if (kind == "lost" || kind == "obscured") {
    out = end_all (kind == "lost" ? wellmonitor::AlarmEnd::kCameraLost :
        wellmonitor::AlarmEnd::kCameraObscured, s, wall_us);
    if (!lost_us_)
      lost_us_ = wall_us;
  } else if (kind != "moved" && lost_us_) {
    down_s = (double) (wall_us - lost_us_) / G_USEC_PER_SEC;
    lost_us_ = 0;
  }
  Message m;
  m.topic = camera_topic (s.topic, s.event.camera, "camera");
  m.qos = s.qos;
  m.time_us = wall_us;
  m.payload = render_camera (s.event.camera, kind, reason, ++seq_, wall_us,
      down_s, shift);
  if (log)
    log ("camera " + kind + (reason.empty ()? "" : " (" + reason + ")"));
  out.push_back (std::move (m));
  return out;
}

void
WellEvents::state_change (const GstVideoFrame * frame,
    const wellmonitor::WellResult & w, const wellmonitor::AlarmChange & c,
    const Settings & s, gint64 wall_us, std::vector<Message> & out)
{
  WellState & st = states_.at ((size_t) w.index, w.id);
  if (c.alarm) {
    states_.alarm (st, c.event_id, c.score, w.threshold, wall_us);
    alarms_raised_++;
    if (frame && s.snapshot_width > 0) {
      /* the picture a dashboard shows: retained, the newest alarm's */
      std::shared_ptr<ViewData> v = capture_view (frame,
          cv::Rect (w.x, w.y, w.width, w.height), w.id, s.snapshot_width,
          s.event.quality);
      if (v) {
        Message m = retained (s, "snapshot/" + safe_name (w.id));
        m.droppable = true;
        m.prepare = [v](Message & msg) {
          msg.payload = render_view_jpeg (*v);
        };
        out.push_back (std::move (m));
      }
    }
  } else {
    states_.end (st, wellmonitor::alarm_end_name (c.reason), c.score, wall_us);
    clears_++;
  }
}

bool
WellEvents::take_asked (const std::string & well, OperatorAction & a)
{
  for (auto it = asked_.begin (); it != asked_.end (); ++it) {
    if (it->first == well) {
      a = std::move (it->second);
      asked_.erase (it);
      return true;
    }
  }
  return false;
}

Message
WellEvents::state_message (const WellState & w, const Settings & s,
    gint64 wall_us)
{
  Message m = retained (s, "state/" + safe_name (w.well));
  m.payload = render_state (s.event.camera, w, ++seq_, wall_us);
  return m;
}

Message
WellEvents::operator_message (const OperatorAction & a, const Settings & s,
    gint64 wall_us)
{
  Message m;
  m.topic = camera_topic (s.topic, s.event.camera, "operator");
  m.qos = s.qos;
  m.time_us = wall_us;
  m.payload = render_operator (s.event.camera, a, ++seq_, wall_us);
  if (action)
    action (a);
  if (log)
    log (a.kind + " well " + a.well + " by " + (a.by.empty ()? "?" : a.by) +
        (a.note.empty ()? "" : ": " + a.note) + (a.error.empty ()? "" :
            " (" + a.error + ")"));
  return m;
}

std::vector<Message>
WellEvents::refuse (const std::string & verb, const std::string & well,
    const std::string & error, const Settings & s, gint64 wall_us,
    const std::string & by)
{
  std::vector<Message> out;
  if (!s.publish_state)
    return out;
  OperatorAction a;
  a.kind = "refused";
  a.well = well;
  a.command = verb;
  a.error = error;
  a.by = by;
  OperatorAction forgotten;
  take_asked (well, forgotten);
  out.push_back (operator_message (a, s, wall_us));
  return out;
}

std::vector<Message>
WellEvents::command (const Command & c, bool upstream, const Settings & s,
    gint64 wall_us)
{
  std::vector<Message> out;
  if (!s.publish_state)
    return out;
  const std::string verb = command_verb_name (c.verb);
  if (!knows_well (c.well))
    return refuse (verb, c.well, "no well " + c.well + " in the layout", s,
        wall_us, c.by);
  if (c.verb == Command::Verb::kAck) {
    WellState *st = states_.find (c.well);
    const std::string error = st ? states_.acknowledge (*st, c.event_id, c.by,
        c.note, wall_us) : "well " + c.well + " has not been seen yet";
    if (!error.empty ())
      return refuse (verb, c.well, error, s, wall_us, c.by);
    OperatorAction a;
    a.well = c.well;
    a.by = c.by;
    a.note = c.note;
    a.kind = "acknowledged";
    a.event_id = st->event_id;
    out.push_back (operator_message (a, s, wall_us));
    out.push_back (state_message (*st, s, wall_us));
    return out;
  }
  if (!upstream)
    return refuse (verb, c.well, "no wellmonitor upstream took the command",
        s, wall_us, c.by);
  /* wellmonitor applies it before its next frame; the metas say so, and
   * the state and the action go out then (see frame ()) */
  expect_shelve (c.well, c.by, c.note);
  return out;
}

std::string
WellEvents::pointless (const Command & c) const
{
  if (c.verb == Command::Verb::kAck)
    return "";
  for (const auto & asked : asked_)
    if (asked.first == c.well)
      return "";
  const WellState *st = states_.find (c.well);
  if (!st || !st->published)
    return "";
  const bool shelved = st->state == "shelved";
  if (c.verb == Command::Verb::kUnshelve && !shelved)
    return "well " + c.well + " is not shelved";
  if (c.verb == Command::Verb::kShelve && shelved)
    return "well " + c.well + " is shelved already" + (st->by.empty ()? "" :
        " (by " + st->by + ")") + ": put it back first to shelve it anew";
  return "";
}

void
WellEvents::expect_shelve (const std::string & well, const std::string & by,
    const std::string & note, gint64 since_us)
{
  OperatorAction a;
  a.well = well;
  a.by = by;
  a.note = note;
  a.since_us = since_us;
  OperatorAction older;
  take_asked (well, older);
  asked_.push_back ({well, a});
}

Message
WellEvents::stats (StatsData d, const Settings & s)
{
  d.camera = s.event.camera;
  d.frames_in = frames_;
  d.frames_analysed = analysed_;
  d.frames_late = late_;
  if (stats_us_ > 0 && d.now_us > stats_us_) {
    const double dt = (double) (d.now_us - stats_us_) / G_USEC_PER_SEC;
    d.fps_in = (double) (frames_ - stats_frames_) / dt;
    d.fps_analysed = (double) (analysed_ - stats_analysed_) / dt;
  }
  stats_us_ = d.now_us;
  stats_frames_ = frames_;
  stats_analysed_ = analysed_;
  d.last_frame_us = last_frame_us_;
  if (d.camera_state.empty ())
    d.camera_state = camera_state_;
  d.wells = states_.size ();
  for (const WellState & w : states_.wells ()) {
    if (w.state == "alarm")
      d.in_alarm.push_back (w.well);
    else if (w.state == "shelved")
      d.shelved.push_back (w.well);
  }
  d.alarms = alarms_raised_;
  d.clears = clears_;
  if (d.threshold < 0)
    d.threshold = threshold_;
  Message m = retained (s, "stats");
  m.droppable = true;
  m.payload = render_stats (d, ++seq_);
  return m;
}

}  // namespace wellpublish
