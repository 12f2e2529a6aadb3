/* One run of wellpublish, from its start to its stop, without the element: the
 * start sets up the transport, the spool and the publisher (and its threads);
 * the streaming thread's frames and events become messages (well-events.h)
 * handed to the publisher in order; the stop ends what is still in alarm,
 * delivers while it can and leaves the rest in the spool. The element gives
 * it the settings read from its properties and posts what it reports. */
#pragma once

#include "publisher.h"
#include "settings.h"
#include "well-events.h"

#include <gst/video/video.h>

#include <functional>
#include <memory>
#include <string>

namespace wellpublish {

/* What a session tells the element, from any of its threads. */
struct SessionReports
{
  std::function<void (const std::string &)> warning;    /* for the bus */
  std::function<void (const std::string &)> info;       /* for the bus */
  std::function<void (bool outage)> connected;  /* the broker took the connection */
  std::function<void (const std::string &)> log;        /* the debug log */
};

/* What the stop left undelivered. */
struct StopReport
{
  size_t left = 0;              /* messages not delivered */
  uint64_t spooled = 0;         /* of them, waiting in the spool */
  std::string spool_dir;        /* "" without a spool */
  std::string text;             /* one line for the user (undelivered_text) */
};

class Session
{
public:
  /* Sets up and starts publishing with `s`: throws SetupError when the start
   * must fail. Warns (no spool, unreadable spool files) and informs (messages
   * an earlier run left, sent first) through `reports`. */
  Session (const Settings & s, long pid, const Getenv & getenv,
      SessionReports reports);
  ~Session ();
  Session (const Session &) = delete;
  Session & operator= (const Session &) = delete;

  /* One buffer: its messages queued. */
  void frame (const GstVideoFrame * frame, const GstSegment * segment,
      const Settings & s, gint64 wall_us);

  /* An event on the sink pad: the end of the stream and a flush end every
   * alarm in progress (stopped); a camera event (wellmonitor/camera_events.h)
   * ends them as it says and is published. Other events: nothing. */
  void event (GstEvent * event, const Settings & s, gint64 wall_us);

  /* Ends what is still in alarm (stopped), waits at most s.drain_ms for the
   * broker, puts what is left into the spool and says what it left. */
  StopReport stop (const Settings & s);

  PublisherStats stats () const { return publisher_->stats (); }
  guint64 frames () const { return events_.frames (); }

private:
  void queue (std::vector<Message> messages);

  std::unique_ptr<Publisher> publisher_;
  WellEvents events_;
  bool stopped_ = false;
};

}  // namespace wellpublish
