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
  return nullptr;
}

}  // namespace

Session::Session (const Settings & s, long pid, const Getenv & getenv,
    SessionReports reports)
{
  std::unique_ptr<Transport> transport = make_transport (s, pid);
  std::string no_spool;
  std::unique_ptr<Spool> spool = open_spool (s, getenv, no_spool);
  if (!no_spool.empty () && reports.warning)
    reports.warning (no_spool);
  if (spool && spool->unreadable () > 0 && reports.warning)
    reports.warning (std::to_string (spool->unreadable ()) + " files in the "
        "spool " + spool->dir () + " are not messages: set aside as *.bad.");

  events_.log = reports.log;
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
}

Session::~Session ()
{
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
Session::frame (const GstVideoFrame * frame, const GstSegment * segment,
    const Settings & s, gint64 wall_us)
{
  queue (events_.frame (frame, segment, s, wall_us));
}

void
Session::event (GstEvent * event, const Settings & s, gint64 wall_us)
{
  const GstEventType type = GST_EVENT_TYPE (event);
  if (const char *camera = camera_event_kind (event)) {
    const gchar *reason = gst_structure_get_string (
        gst_event_get_structure (event), "reason");
    queue (events_.camera (camera, reason ? reason : "", s, wall_us));
  } else if (type == GST_EVENT_EOS || type == GST_EVENT_FLUSH_STOP) {
    queue (events_.end_all (wellmonitor::AlarmEnd::kStopped, s, wall_us));
  }
}

StopReport
Session::stop (const Settings & s)
{
  StopReport r;
  if (stopped_)
    return r;
  /* what is still in alarm ends here (EOS ended it already, if there was one) */
  queue (events_.end_all (wellmonitor::AlarmEnd::kStopped, s,
          g_get_real_time ()));
  r.left = publisher_->stop (s.drain_ms);
  stopped_ = true;
  r.spooled = publisher_->stats ().spooled;
  r.spool_dir = publisher_->spool_dir ();
  if (r.left > 0)
    r.text = undelivered_text (r.left, r.spooled, publisher_->describe (),
        r.spool_dir);
  return r;
}

}  // namespace wellpublish
