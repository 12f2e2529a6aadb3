/* One run of wellpublish: set-up, hand-off, stop. */

#include "session.h"

#include "wellmonitor/camera_events.h"

namespace wellpublish {

namespace {

/* The camera event `event` carries ("lost", "back", "obscured",
 * "unobscured"), or NULL. */
const char *
camera_event_kind (GstEvent * event)
{
  const GstStructure *s = gst_event_get_structure (event);
  if (GST_EVENT_TYPE (event) != GST_EVENT_CUSTOM_DOWNSTREAM || !s)
    return nullptr;
  if (gst_structure_has_name (s, wellmonitor::kCameraLostEvent))
    return "lost";
  if (gst_structure_has_name (s, wellmonitor::kCameraBackEvent))
    return "back";
  if (gst_structure_has_name (s, wellmonitor::kCameraObscuredEvent))
    return "obscured";
  if (gst_structure_has_name (s, wellmonitor::kCameraUnobscuredEvent))
    return "unobscured";
  if (gst_structure_has_name (s, wellmonitor::kCameraMovedEvent))
    return "moved";
  return nullptr;
}

}  // namespace

Session::Session (const Settings & s, long pid, const Getenv & getenv,
    SessionReports reports)
  : settings_ (s), reports_ (reports), started_us_ (g_get_real_time ())
{
  std::unique_ptr<Transport> transport = make_transport (s, pid,
      [this](const std::string & payload, bool retained) {
        command (payload, retained);
      });
  std::string no_spool;
  std::unique_ptr<Spool> spool = open_spool (s, getenv, no_spool);
  if (!no_spool.empty () && reports.warning)
    reports.warning (no_spool);
  if (spool && spool->unreadable () > 0 && reports.warning)
    reports.warning (std::to_string (spool->unreadable ()) + " files in the "
        "spool " + spool->dir () + " are not messages: set aside as *.bad.");

  events_.log = reports.log;
  events_.action = reports.action;
  PublisherCallbacks callbacks;
  callbacks.warning = reports.warning;
  callbacks.connected = reports.connected;
  callbacks.stamp = with_delay;
  publisher_ = std::make_unique<Publisher> (std::move (transport),
      s.queue_size, std::move (callbacks), std::move (spool));
  publisher_->start ();
  const uint64_t replayed = publisher_->stats ().replayed;
  if (replayed > 0 && reports.info)
    reports.info (std::to_string (replayed) + " messages an earlier run did "
        "not deliver wait in " + publisher_->spool_dir () + ": sent first.");
  if (s.publish_state && s.stats_interval_s > 0)
    stats_thread_ = std::thread ([this] { stats_loop (); });
}

Session::~Session ()
{
  stop_stats ();
  if (!stopped_)
    publisher_->stop (0);
}

void
Session::queue (std::vector<Message> messages)
{
  for (Message & m : messages)
    publisher_->queue (std::move (m));
}

void
Session::stats_loop ()
{
  /* one at the start, so that a client learns at once what runs */
  publish_stats ();
  std::unique_lock<std::mutex> lock (stats_mutex_);
  const auto period = std::chrono::seconds (settings_.stats_interval_s);
  for (;;) {
    stats_wake_.wait_for (lock, period, [this] {
          return stats_stopping_ || stats_now_;
        });
    if (stats_stopping_)
      break;
    stats_now_ = false;
    lock.unlock ();
    publish_stats ();
    lock.lock ();
  }
}

void
Session::stats_soon ()
{
  if (!events_.take_wells_changed () || !stats_thread_.joinable ())
    return;
  {
    std::lock_guard<std::mutex> lock (stats_mutex_);
    stats_now_ = true;
  }
  stats_wake_.notify_all ();
}

void
Session::stop_stats ()
{
  {
    std::lock_guard<std::mutex> lock (stats_mutex_);
    stats_stopping_ = true;
  }
  stats_wake_.notify_all ();
  if (stats_thread_.joinable ())
    stats_thread_.join ();
}

void
Session::publish_stats (const std::string & camera_state)
{
  StatsData d;
  d.now_us = g_get_real_time ();
  d.started_us = started_us_;
  d.camera_state = camera_state;
  const PublisherStats p = publisher_->stats ();
  d.connected = p.connected;
  d.queued = p.waiting;
  d.spooled = p.spooled;
  d.delivered = p.delivered;
  d.dropped = p.dropped;
  if (reports_.model)
    d.model = reports_.model ();
  std::lock_guard<std::mutex> lock (mutex_);
  if (!stopped_)
    publisher_->queue (events_.stats (std::move (d), settings_));
}

void
Session::command (const std::string & payload, bool retained)
{
  const gint64 now = g_get_real_time ();
  Command c;
  try {
    if (retained)
      throw std::invalid_argument ("a retained command is not carried out: "
          "publish commands without the retain flag (and clear the retained "
          "one with an empty retained message)");
    c = parse_command (payload);
  } catch (const std::invalid_argument & e) {
    std::lock_guard<std::mutex> lock (mutex_);
    if (!stopped_ && !payload.empty ())
      queue (events_.refuse ("", "", e.what (), settings_, now));
    return;
  }
  if (c.verb == Command::Verb::kAck) {
    std::lock_guard<std::mutex> lock (mutex_);
    if (!stopped_)
      queue (events_.command (c, false, settings_, now));
    return;
  }
  bool known;
  {
    /* remembered first (who, why), so that the frame wellmonitor applies it
     * on finds it */
    std::lock_guard<std::mutex> lock (mutex_);
    known = events_.knows_well (c.well);
    if (stopped_)
      return;
    if (!known) {
      queue (events_.refuse (command_verb_name (c.verb), c.well, "no well " +
              c.well + " in the layout", settings_, now, c.by));
      return;
    }
    if (const std::string why = events_.pointless (c); !why.empty ()) {
      queue (events_.refuse (command_verb_name (c.verb), c.well, why,
              settings_, now, c.by));
      return;
    }
    queue (events_.command (c, true, settings_, now));
  }
  wellmonitor::ShelveRequest r;
  r.well = c.well;
  r.shelved = c.verb == Command::Verb::kShelve;
  r.by = c.by;
  r.note = c.note;
  if (reports_.shelve && reports_.shelve (r))
    return;
  std::lock_guard<std::mutex> lock (mutex_);
  if (!stopped_)
    queue (events_.refuse (command_verb_name (c.verb), c.well,
            "no wellmonitor upstream took the command", settings_, now, c.by));
}

void
Session::shelve_passing (const wellmonitor::ShelveRequest & r)
{
  std::lock_guard<std::mutex> lock (mutex_);
  if (!stopped_)
    events_.expect_shelve (r.well, r.by, r.note, r.since_us);
}

void
Session::frame (const GstVideoFrame * frame, const GstSegment * segment,
    const Settings & s, gint64 wall_us)
{
  std::lock_guard<std::mutex> lock (mutex_);
  queue (events_.frame (frame, segment, s, wall_us));
  stats_soon ();
}

void
Session::event (GstEvent * event, const Settings & s, gint64 wall_us)
{
  std::lock_guard<std::mutex> lock (mutex_);
  const GstEventType type = GST_EVENT_TYPE (event);
  if (const char *camera = camera_event_kind (event)) {
    const GstStructure *st = gst_event_get_structure (event);
    const gchar *reason = gst_structure_get_string (st, "reason");
    CameraShift shift;
    gboolean followed = FALSE;
    const bool moved = gst_structure_get_double (st, "dx", &shift.dx)
        && gst_structure_get_double (st, "dy", &shift.dy);
    gst_structure_get_double (st, "confidence", &shift.confidence);
    gst_structure_get_boolean (st, "followed", &followed);
    shift.followed = followed != FALSE;
    queue (events_.camera (camera, reason ? reason : "", s, wall_us,
            moved ? &shift : nullptr));
  } else if (type == GST_EVENT_CUSTOM_DOWNSTREAM
      && gst_event_has_name (event, wellmonitor::kLayoutChangedEvent)) {
    /* the next metas are the new layout's wells */
    queue (events_.end_all (wellmonitor::AlarmEnd::kLayoutChanged, s,
            wall_us));
  } else if (type == GST_EVENT_EOS || type == GST_EVENT_FLUSH_STOP) {
    queue (events_.end_all (wellmonitor::AlarmEnd::kStopped, s, wall_us));
  }
  stats_soon ();
}

StopReport
Session::stop (const Settings & s)
{
  StopReport r;
  if (stopped_)
    return r;
  stop_stats ();
  {
    std::lock_guard<std::mutex> lock (mutex_);
    /* what is still in alarm ends here (EOS ended it already, if there was
     * one) */
    queue (events_.end_all (wellmonitor::AlarmEnd::kStopped, s,
            g_get_real_time ()));
  }
  /* the last stats say the monitor stopped (retained with status offline) */
  if (s.publish_state && s.stats_interval_s > 0)
    publish_stats ("stopped");
  {
    std::lock_guard<std::mutex> lock (mutex_);
    stopped_ = true;
  }
  r.left = publisher_->stop (s.drain_ms);
  r.spooled = publisher_->stats ().spooled;
  r.spool_dir = publisher_->spool_dir ();
  if (r.left > 0)
    r.text = undelivered_text (r.left, r.spooled, publisher_->describe (),
        r.spool_dir);
  return r;
}

}  // namespace wellpublish
