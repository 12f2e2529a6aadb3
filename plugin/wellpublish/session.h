/* One run of wellpublish, from its start to its stop, without the element: the
 * start sets up the transport, the spool and the publisher (and its threads);
 * the streaming thread's frames and events become messages (well-events.h)
 * handed to the publisher in order; the stop ends what is still in alarm,
 * delivers while it can and leaves the rest in the spool. The element gives
 * it the settings read from its properties and posts what it reports.
 *
 * With Settings::publish_state it also publishes the retained stats every
 * stats_interval_s (a thread of its own, so that they go out while no frame
 * comes) and takes the operators' commands (command.h) from the publisher's
 * thread. One mutex keeps the wells' part and the order of the queue to one
 * thread at a time. */
#pragma once

#include "operator-events.h"
#include "publisher.h"
#include "settings.h"
#include "well-events.h"

#include <gst/video/video.h>

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace wellpublish {

/* What a session tells the element, from any of its threads. */
struct SessionReports
{
  std::function<void (const std::string &)> warning;    /* for the bus */
  std::function<void (const std::string &)> info;       /* for the bus */
  std::function<void (bool outage)> connected;  /* the broker took the connection */
  std::function<void (const std::string &)> log;        /* the debug log */
  /* Sends an operator's shelving up to wellmonitor (the publisher's
   * thread): true when it took it. */
  std::function<bool (const wellmonitor::ShelveRequest &)> shelve;
  /* The model file wellmonitor uses ("": unknown), for the stats. */
  std::function<std::string ()> model;
  /* An action on CAMERA/operator (an acknowledgement, a refused command...),
   * for the bus. */
  std::function<void (const OperatorAction &)> action;
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
   * alarm in progress (stopped); wellmonitor's new layout ends them with
   * reason reconfigured; a camera event (wellmonitor/camera_events.h) ends
   * them as it says and is published. Other events: nothing. */
  void event (GstEvent * event, const Settings & s, gint64 wall_us);

  /* Ends what is still in alarm (stopped), waits at most s.drain_ms for the
   * broker, puts what is left into the spool and says what it left. */
  StopReport stop (const Settings & s);

  PublisherStats stats () const { return publisher_->stats (); }
  guint64 frames () const
  {
    std::lock_guard<std::mutex> lock (mutex_);
    return events_.frames ();
  }

  /* A message on the command topic (the publisher's thread; tests call it
   * directly): a command carried out, or refused on CAMERA/operator. */
  void command (const std::string & payload, bool retained);
  /* A shelve event passing up through the element from downstream (not a
   * command of the topic's): who and why, for the state it leads to. */
  void shelve_passing (const wellmonitor::ShelveRequest & r);
  /* Queues the stats message now (the stats thread; tests). */
  void publish_stats (const std::string & camera_state = "");

private:
  void queue (std::vector<Message> messages);
  void stats_loop ();
  void stop_stats ();
  /* After a frame or an event: the stats at once when a well went into or
   * out of alarm or shelving, or the camera was lost or back (mutex_ held). */
  void stats_soon ();

  std::unique_ptr<Publisher> publisher_;
  mutable std::mutex mutex_;    /* events_, and the order of queue () */
  WellEvents events_;
  Settings settings_;           /* as at the start, for commands and stats */
  SessionReports reports_;
  gint64 started_us_ = 0;
  bool stopped_ = false;

  std::mutex stats_mutex_;
  std::condition_variable stats_wake_;
  bool stats_stopping_ = false;
  bool stats_now_ = false;
  std::thread stats_thread_;
};

}  // namespace wellpublish
