/* The publisher behind wellpublish: queue, keeper and worker threads, file
 * transport. */

#include "publisher.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace wellpublish {

namespace {

using Clock = std::chrono::steady_clock;

/* Reconnection: first retry after this, doubling up to the maximum. */
constexpr auto kRetryFirst = std::chrono::milliseconds (500);
constexpr auto kRetryMax = std::chrono::milliseconds (4000);
/* How long one poll of the transport may sleep (keep-alives, retries). */
constexpr int kPollMs = 200;

void
drain_eventfd (int fd)
{
  uint64_t v;
  while (::read (fd, &v, sizeof v) == (ssize_t) sizeof v) {
  }
}

}  // namespace

Publisher::Publisher (std::unique_ptr<Transport> transport, size_t capacity,
    PublisherCallbacks callbacks, std::unique_ptr<Spool> spool)
  : transport_ (std::move (transport)), capacity_ (std::max<size_t> (1,
        capacity)), callbacks_ (std::move (callbacks)), spool_ (std::move (spool))
{
  wake_fd_ = ::eventfd (0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0)
    throw std::runtime_error (std::string ("eventfd: ") + std::strerror (errno));
}

Publisher::~Publisher ()
{
  if (worker_.joinable () || keeper_.joinable ())
    stop (0);
  if (wake_fd_ >= 0)
    ::close (wake_fd_);
}

void
Publisher::start ()
{
  if (spool_) {
    std::lock_guard<std::mutex> lock (mutex_);
    for (SpoolRecord & r : spool_->take_left ()) {
      Entry e;
      e.message.topic = std::move (r.topic);
      e.message.payload = std::move (r.payload);
      e.message.qos = r.qos;
      e.message.retain = r.retain;
      e.message.droppable = r.droppable;
      e.message.time_us = r.time_us;
      e.ready = true;
      e.spool_id = r.id;
      e.on_disk = true;
      entries_.push_back (std::move (e));
      stats_.replayed++;
    }
    stats_.waiting = entries_.size ();
    stats_.spooled = spool_->count ();
  }
  worker_ = std::thread ([this] { run (); });
  keeper_ = std::thread ([this] { keep (); });
}

void
Publisher::wake ()
{
  const uint64_t one = 1;
  (void) ! ::write (wake_fd_, &one, sizeof one);
}

void
Publisher::queue (Message m)
{
  bool overflow_now = false;
  {
    std::lock_guard<std::mutex> lock (mutex_);
    if (entries_.size () >= capacity_) {
      /* the oldest droppable message not yet sent goes */
      auto victim = std::find_if (entries_.begin (), entries_.end (),
          [](const Entry & e) {
            return e.id < 0 && !e.busy && e.message.droppable;
          });
      if (victim != entries_.end ()) {
        if (victim->on_disk)
          to_remove_.push_back (victim->spool_id);
        entries_.erase (victim);
        stats_.dropped++;
      } else if (m.droppable) {
        stats_.dropped++;
        return;
      } else if (!warned_overflow_) {
        warned_overflow_ = true;
        overflow_now = true;
      }
    }
    Entry e;
    e.message = std::move (m);
    if (spool_)
      e.spool_id = spool_->next_id ();
    entries_.push_back (std::move (e));
    stats_.queued++;
    stats_.waiting = entries_.size ();
  }
  keeper_wake_.notify_one ();
  wake ();
  if (overflow_now && callbacks_.warning)
    callbacks_.warning ("the queue is full of alarms and clears (" +
        std::to_string (capacity_) + "): it grows past its size rather than "
        "drop one");
}

size_t
Publisher::stop (int drain_ms)
{
  {
    std::lock_guard<std::mutex> lock (mutex_);
    stopping_ = true;
    drain_ms_ = std::max (0, drain_ms);
  }
  wake ();
  if (worker_.joinable ())
    worker_.join ();
  {
    /* the keeper finishes what was queued: prepared, and spooled */
    std::lock_guard<std::mutex> lock (mutex_);
    keeper_stopping_ = true;
  }
  keeper_wake_.notify_all ();
  if (keeper_.joinable ())
    keeper_.join ();
  spool_left ();
  std::lock_guard<std::mutex> lock (mutex_);
  /* the present, undelivered, is no message left: the next start says it */
  entries_.remove_if ([](const Entry & e) { return e.message.transient; });
  stats_.waiting = entries_.size ();
  return entries_.size ();
}

/* ----------------------------------------------------------------- spool */

/* Writes `e` to the spool (no lock held: the keeper's thread, or the stop).
 * False when it is not on disk: dropped to keep the spool's bounds, or not
 * written. */
bool
Publisher::spool_entry (Entry & e, bool at_stop)
{
  SpoolRecord r;
  r.id = e.spool_id;
  r.topic = e.message.topic;
  r.payload = e.message.payload;
  r.qos = e.message.qos;
  r.retain = e.message.retain;
  r.droppable = e.message.droppable;
  r.time_us = e.message.time_us;
  std::string warning;
  bool kept = false;
  try {
    const SpoolPut put = spool_->put (r);
    std::lock_guard<std::mutex> lock (mutex_);
    kept = true;
    for (const uint64_t id : put.dropped) {
      /* a droppable message's file: it is lost once memory is too */
      for (Entry & x : entries_)
        if (x.spool_id == id)
          x.on_disk = false;
      if (id == r.id)
        kept = false;
    }
    e.on_disk = kept;
    warned_spool_ = false;
    if (put.over_limits && !warned_spool_full_) {
      warned_spool_full_ = true;
      warning = "the spool " + spool_->dir () + " is full of alarms and "
          "clears (" + std::to_string (spool_->count ()) + " messages): it "
          "grows past its bounds rather than drop one";
    }
    stats_.spooled = spool_->count ();
  } catch (const std::exception & ex) {
    std::lock_guard<std::mutex> lock (mutex_);
    if (!warned_spool_)
      warning = std::string ("cannot keep a message in the spool: ") +
          ex.what () + (at_stop ? "; it is lost with the process" :
          "; it waits in memory only");
    warned_spool_ = true;
  }
  if (!warning.empty () && callbacks_.warning)
    callbacks_.warning (warning);
  return kept;
}

/* At the stop, with both threads gone: what was not delivered goes to the
 * spool, droppable messages too (within the bounds: those dropped are
 * counted and forgotten). */
void
Publisher::spool_left ()
{
  if (!spool_)
    return;
  bool unsynced = false;
  for (Entry & e : entries_)
    if (!e.on_disk && !e.message.transient && spool_entry (e, true)
        && e.message.droppable)
      unsynced = true;
  if (unsynced)
    spool_->sync ();
  std::lock_guard<std::mutex> lock (mutex_);
  for (auto it = entries_.begin (); it != entries_.end ();) {
    if (!it->on_disk && it->message.droppable && !it->message.transient) {
      it = entries_.erase (it);
      stats_.dropped++;
    } else {
      ++it;
    }
  }
  stats_.spooled = spool_->count ();
}

/* The keeper: prepares each message in order and, with a spool, writes
 * every one that is not droppable to it before the worker may send it. */
void
Publisher::keep ()
{
  for (;;) {
    Entry *e = nullptr;
    std::vector<uint64_t> remove;
    {
      std::unique_lock<std::mutex> lock (mutex_);
      auto pending = [this]() -> Entry * {
        for (Entry & x : entries_)
          if (!x.ready && !x.busy)
            return &x;
        return nullptr;
      };
      keeper_wake_.wait (lock, [&] {
            return keeper_stopping_ || !to_remove_.empty () || pending ();
          });
      remove.swap (to_remove_);
      e = pending ();
      if (e)
        e->busy = true;
      else if (keeper_stopping_ && remove.empty ())
        break;
    }
    for (const uint64_t id : remove)
      spool_->remove (id);
    if (!e)
      continue;
    if (e->message.prepare) {
      try {
        e->message.prepare (e->message);
      } catch (const std::exception & ex) {
        if (callbacks_.warning)
          callbacks_.warning (std::string ("could not prepare a message: ") +
              ex.what ());
      } catch (...) {
      }
      e->message.prepare = nullptr;
    }
    if (spool_ && !e->message.droppable && !e->message.transient)
      spool_entry (*e, false);
    {
      std::lock_guard<std::mutex> lock (mutex_);
      e->ready = true;
      e->busy = false;
    }
    wake ();
  }
}

PublisherStats
Publisher::stats () const
{
  std::lock_guard<std::mutex> lock (mutex_);
  return stats_;
}

bool
Publisher::wait_empty (int timeout_ms) const
{
  std::unique_lock<std::mutex> lock (mutex_);
  return changed_.wait_for (lock, std::chrono::milliseconds (timeout_ms),
      [this] { return entries_.empty (); });
}

/* Sends the messages not sent yet, in order, as far as the transport's
 * window allows and the keeper is done with them. The message being sent is
 * marked busy so that queue () leaves it alone while the lock is not held. */
bool
Publisher::hand_over ()
{
  for (;;) {
    Entry *e = nullptr;
    {
      std::lock_guard<std::mutex> lock (mutex_);
      if (sent_ >= transport_->window ())
        return true;
      for (Entry & x : entries_) {
        if (x.id < 0) {
          e = &x;
          break;
        }
      }
      if (!e || !e->ready)
        return true;            /* the keeper has it: the order waits */
      e->busy = true;
    }
    std::string error;
    long id;
    if (callbacks_.stamp && e->message.time_us > 0) {
      const int64_t now_us = std::chrono::duration_cast<std::chrono::microseconds>
          (std::chrono::system_clock::now ().time_since_epoch ()).count ();
      Message stamped = e->message;
      stamped.payload = callbacks_.stamp (e->message.payload,
          (double) (now_us - e->message.time_us) / 1e6);
      id = transport_->send (stamped, error);
    } else {
      id = transport_->send (e->message, error);
    }
    std::lock_guard<std::mutex> lock (mutex_);
    e->busy = false;
    if (id < 0)
      return false;
    e->id = id;
    sent_++;
  }
}

void
Publisher::run ()
{
  bool open = false;            /* the transport is open (maybe not ready) */
  bool reported = false;        /* connected () was called for this connection */
  bool ever_connected = false;
  bool warned = false;          /* a warning was given for this outage */
  bool tried = false;           /* open () was called at least once */
  auto retry = kRetryFirst;
  Clock::time_point retry_at = Clock::now ();
  Clock::time_point drain_deadline = Clock::time_point::max ();
  std::vector<long> acked;
  std::string error;

  auto lost = [&](const std::string & what) {
    open = false;
    {
      std::lock_guard<std::mutex> lock (mutex_);
      stats_.connected = false;
      /* what the transport will not resend goes again, in order */
      for (long id : transport_->take_unsent ()) {
        for (Entry & x : entries_) {
          if (x.id == id) {
            x.id = -1;
            sent_--;
          }
        }
      }
    }
    if (!warned && callbacks_.warning)
      callbacks_.warning (what);
    warned = true;
    reported = false;
    retry_at = Clock::now () + retry;
    retry = std::min (retry * 2, kRetryMax);
  };

  for (;;) {
    {
      std::lock_guard<std::mutex> lock (mutex_);
      if (stopping_) {
        if (drain_deadline == Clock::time_point::max ())
          drain_deadline = Clock::now () + std::chrono::milliseconds (drain_ms_);
        /* a transport not tried yet (a stop right after the start) is
         * tried once */
        if ((!open && tried) || entries_.empty ()
            || Clock::now () >= drain_deadline)
          break;
      }
    }

    if (!open) {
      if (Clock::now () >= retry_at) {
        error.clear ();
        tried = true;
        if (transport_->open (error)) {
          open = true;
        } else {
          lost ("cannot reach " + transport_->describe () + ": " + error +
              "; messages wait in the queue and are sent once it is back");
        }
      }
      if (!open) {
        const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>
            (retry_at - Clock::now ()).count ();
        struct pollfd p = { wake_fd_, POLLIN, 0 };
        ::poll (&p, 1, (int) std::max<long long> (1, std::min<long long> (wait,
                    kPollMs)));
        drain_eventfd (wake_fd_);
        continue;
      }
    }

    if (transport_->ready ()) {
      if (!reported) {
        reported = true;
        {
          std::lock_guard<std::mutex> lock (mutex_);
          stats_.connected = true;
        }
        if (callbacks_.connected)
          callbacks_.connected (ever_connected);
        ever_connected = true;
        warned = false;
        retry = kRetryFirst;
      }
      if (!hand_over ()) {
        lost ("lost " + transport_->describe () +
            "; messages wait in the queue and are sent once it is back");
        continue;
      }
    }

    acked.clear ();
    error.clear ();
    const bool ok = transport_->poll (wake_fd_, kPollMs, acked, error);
    drain_eventfd (wake_fd_);
    if (!acked.empty ()) {
      /* off the disk first, so that an empty queue means an empty spool */
      std::vector<uint64_t> delivered_on_disk;
      {
        std::lock_guard<std::mutex> lock (mutex_);
        for (const Entry & x : entries_)
          if (x.on_disk && std::find (acked.begin (), acked.end (), x.id) !=
              acked.end ())
            delivered_on_disk.push_back (x.spool_id);
      }
      for (const uint64_t sid : delivered_on_disk)
        spool_->remove (sid);
      std::lock_guard<std::mutex> lock (mutex_);
      for (long id : acked) {
        auto it = std::find_if (entries_.begin (), entries_.end (),
            [id](const Entry & x) { return x.id == id; });
        if (it != entries_.end ()) {
          entries_.erase (it);
          sent_--;
          stats_.delivered++;
        }
      }
      stats_.waiting = entries_.size ();
      if (spool_)
        stats_.spooled = spool_->count ();
      changed_.notify_all ();
    }
    if (!ok)
      lost ("lost " + transport_->describe () + ": " + error +
          "; messages wait in the queue and are sent once it is back");
  }

  transport_->close (open ? 1000 : 0);
  std::lock_guard<std::mutex> lock (mutex_);
  stats_.connected = false;
}

/* ------------------------------------------------------------------ file */

namespace {

class FileTransport : public Transport
{
public:
  explicit FileTransport (std::string path) : path_ (std::move (path)) {}
  ~FileTransport () override { close (0); }

  std::string describe () const override { return "file " + path_; }

  bool open (std::string & error) override
  {
    file_ = std::fopen (path_.c_str (), "a");
    if (!file_) {
      error = std::strerror (errno);
      return false;
    }
    return true;
  }

  bool ready () const override { return file_ != nullptr; }

  long send (const Message & m, std::string & error) override
  {
    if (!file_)
      return -1;
    if (std::fwrite (m.payload.data (), 1, m.payload.size (), file_) !=
        m.payload.size () || std::fputc ('\n', file_) == EOF
        || std::fflush (file_) != 0) {
      error = std::strerror (errno);
      std::fclose (file_);
      file_ = nullptr;
      broken_ = true;
      return -1;
    }
    const long id = next_id_++;
    written_.push_back (id);
    return id;
  }

  size_t window () const override { return 64; }

  bool poll (int wake_fd, int timeout_ms, std::vector<long> &acked,
      std::string & error) override
  {
    if (broken_) {
      broken_ = false;
      error = "cannot write";
      return false;
    }
    acked.insert (acked.end (), written_.begin (), written_.end ());
    if (!written_.empty ())
      timeout_ms = 0;
    written_.clear ();
    struct pollfd p = { wake_fd, POLLIN, 0 };
    ::poll (&p, 1, timeout_ms);
    return true;
  }

  void close (int) override
  {
    if (file_)
      std::fclose (file_);
    file_ = nullptr;
  }

private:
  std::string path_;
  FILE *file_ = nullptr;
  bool broken_ = false;
  long next_id_ = 0;
  std::vector<long> written_;
};

}  // namespace

std::unique_ptr<Transport>
make_file_transport (const std::string & path)
{
  return std::make_unique<FileTransport> (path);
}

/* ------------------------------------------------------------ mqtt address */

MqttAddress
parse_mqtt_address (const std::string & url)
{
  MqttAddress a;
  std::string rest;
  if (url.rfind ("mqtt://", 0) == 0) {
    rest = url.substr (7);
  } else if (url.rfind ("mqtts://", 0) == 0) {
    rest = url.substr (8);
    a.tls = true;
    a.port = 8883;
  } else {
    throw std::invalid_argument ("'" + url + "' is not an mqtt:// or mqtts:// "
        "address (mqtt://[user[:password]@]host[:port])");
  }
  while (!rest.empty () && rest.back () == '/')
    rest.pop_back ();
  if (rest.find ('/') != std::string::npos)
    throw std::invalid_argument ("'" + url + "': an MQTT address has no path; "
        "set the topic with the topic property");
  const size_t at = rest.rfind ('@');
  if (at != std::string::npos) {
    const std::string user = rest.substr (0, at);
    rest = rest.substr (at + 1);
    const size_t colon = user.find (':');
    a.username = user.substr (0, colon);
    if (colon != std::string::npos)
      a.password = user.substr (colon + 1);
  }
  std::string port;
  if (!rest.empty () && rest[0] == '[') {
    const size_t close = rest.find (']');
    if (close == std::string::npos)
      throw std::invalid_argument ("'" + url + "': unclosed [ in the host");
    a.host = rest.substr (1, close - 1);
    if (close + 1 < rest.size ()) {
      if (rest[close + 1] != ':')
        throw std::invalid_argument ("'" + url + "': junk after the host");
      port = rest.substr (close + 2);
    }
  } else {
    const size_t colon = rest.rfind (':');
    a.host = rest.substr (0, colon);
    if (colon != std::string::npos)
      port = rest.substr (colon + 1);
  }
  if (a.host.empty ())
    throw std::invalid_argument ("'" + url + "' names no host");
  if (!port.empty ()) {
    if (port.size () > 5 || port.find_first_not_of ("0123456789") !=
        std::string::npos || std::stoi (port) < 1 || std::stoi (port) > 65535)
      throw std::invalid_argument ("'" + url + "': the port must be 1-65535, "
          "got '" + port + "'");
    a.port = std::stoi (port);
  }
  return a;
}

}  // namespace wellpublish
