/* The publisher behind wellpublish: a bounded queue of messages that a worker
 * thread hands to a transport (an MQTT broker, or a file of JSON lines), so
 * that the streaming thread never waits for a network or a disk.
 *
 * Nothing here knows GStreamer or LibTorch; the element gives it messages and
 * callbacks for what it reports.
 *
 * Two threads: the keeper prepares each message (Message::prepare: JPEGs,
 * JSON) and, with a spool, writes every message that is not droppable to it
 * (fsync'd) before it may be sent; the worker sends, in order, what the
 * keeper is done with, and removes a message from the spool once delivered.
 * A message's send therefore never waits for a disk, and a spooled message
 * survives the process: the next Publisher on the same spool queues what an
 * earlier one left before anything new (the delivery is at least once).
 *
 * Order and loss: messages leave in the order they were queued. A message
 * stays queued until the transport acknowledges it (MQTT: the broker's PUBACK
 * for QoS 1, its PUBCOMP for QoS 2; a file: once written); while the
 * transport is away the messages wait, and are sent in order once it is
 * back. When the queue holds `capacity` messages, queueing one more drops the
 * oldest waiting *droppable* message (scores), or the new one when it is
 * droppable and no older one is; a message that is not droppable (an alarm,
 * a clear) is never dropped: the queue grows past `capacity` for it, and
 * says so once. At the stop, what is left goes to the spool too (droppable
 * messages included, within the spool's bounds), transient ones excepted. */
#pragma once

#include "spool.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <list>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace wellpublish {

/* One message for the transport. */
struct Message
{
  std::string topic;
  std::string payload;
  int qos = 1;
  bool retain = false;
  bool droppable = false;       /* a scores message: the first to go */
  /* The present (a well's state, the stats, a picture): never spooled, and
   * forgotten at the stop when undelivered (not counted as left): the next
   * start publishes it anew. */
  bool transient = false;
  int64_t time_us = 0;          /* when it happened (us since 1970; 0: no time) */
  /* Runs once on the keeper thread before the message is spooled or sent,
   * and may fill `payload` (the JPEG snapshot and the frame file are made
   * there, not on the streaming thread). */
  std::function<void (Message &)> prepare;
};

/* Where messages go. All calls come from the publisher's worker thread. */
class Transport
{
public:
  virtual ~Transport () = default;

  /* What the transport is, for messages: "mqtt://host:1883", a path. */
  virtual std::string describe () const = 0;

  /* Opens the connection (or the file). False, with `error` set, when it
   * cannot now; the publisher tries again later. True once it is usable:
   * for MQTT the broker has not answered yet, see ready (). */
  virtual bool open (std::string & error) = 0;

  /* True when open and accepting messages (MQTT: the broker accepted the
   * connection). */
  virtual bool ready () const = 0;

  /* Hands one message over; returns its id for acknowledgement, or -1 with
   * `error` set when the connection broke (the message is not taken). */
  virtual long send (const Message & m, std::string & error) = 0;

  /* How many sent messages may wait for their acknowledgement at once. */
  virtual size_t window () const = 0;

  /* Does the transport's I/O for up to `timeout_ms`, returning early when
   * `wake_fd` becomes readable. Appends the ids acknowledged since the last
   * call to `acked`. Returns false, with `error` set, when the connection was
   * lost: sent messages not yet acknowledged are resent by the transport
   * itself when it reconnects (MQTT), so the publisher keeps them as sent. */
  virtual bool poll (int wake_fd, int timeout_ms, std::vector<long> &acked,
      std::string & error) = 0;

  /* Ids sent but lost with the connection that the transport will not
   * resend on its own; the publisher sends them again. */
  virtual std::vector<long> take_unsent () { return {}; }

  /* Says goodbye (MQTT: the availability topic's "offline", a clean
   * disconnect) and closes, waiting at most `timeout_ms`. */
  virtual void close (int timeout_ms) = 0;
};

/* What the publisher reports, on its worker thread. */
struct PublisherCallbacks
{
  /* The transport could not be opened, or was lost (once per outage). */
  std::function<void (const std::string & what)> warning;
  /* The transport is (back) up; `outage` is false on the first connection. */
  std::function<void (bool outage)> connected;
  /* A message with a time is about to be sent `delay_s` seconds after it:
   * returns the payload to send (the element marks events with their
   * delay). Unset: the payload as it is. */
  std::function<std::string (const std::string & payload, double delay_s)>
      stamp;
};

struct PublisherStats
{
  uint64_t queued = 0;          /* messages taken by queue () */
  uint64_t delivered = 0;       /* acknowledged by the transport */
  uint64_t dropped = 0;         /* droppable messages dropped: the queue was full */
  uint64_t waiting = 0;         /* in the queue now, sent or not */
  uint64_t spooled = 0;         /* in the spool now (on disk, not delivered) */
  uint64_t replayed = 0;        /* left by an earlier process, queued first */
  bool connected = false;
};

class Publisher
{
public:
  /* `capacity`: the queue's size (at least 1). `spool`: where messages wait
   * on disk (none: in memory only). */
  Publisher (std::unique_ptr<Transport> transport, size_t capacity,
      PublisherCallbacks callbacks, std::unique_ptr<Spool> spool = nullptr);
  ~Publisher ();
  Publisher (const Publisher &) = delete;
  Publisher & operator= (const Publisher &) = delete;

  /* Queues what an earlier process left in the spool, then starts the
   * threads. */
  void start ();

  /* Queues a message; never blocks on the transport (it takes a mutex
   * that the worker holds only to move messages in and out). */
  void queue (Message m);

  /* Stops: while the transport is up, waits at most `drain_ms` for the
   * queue to empty; then closes the transport and puts what is left into the
   * spool. Returns the number of messages left undelivered (stats ().spooled
   * of them wait in the spool). */
  size_t stop (int drain_ms);

  PublisherStats stats () const;

  /* The transport, for messages ("the MQTT broker at mqtt://host:1883"). */
  std::string describe () const { return transport_->describe (); }
  /* The spool's folder, or "" without one. */
  std::string spool_dir () const { return spool_ ? spool_->dir () : ""; }

  /* Waits at most `timeout_ms` until the queue is empty; for tests. */
  bool wait_empty (int timeout_ms) const;

private:
  struct Entry
  {
    Message message;
    bool ready = false;         /* prepared, and spooled when it is to be */
    bool busy = false;          /* being prepared or sent, outside the lock */
    long id = -1;               /* -1: not sent yet */
    uint64_t spool_id = 0;      /* its place in the spool's order (0: none) */
    bool on_disk = false;       /* in the spool */
  };

  void run ();
  void keep ();                 /* the keeper thread */
  void wake ();
  bool hand_over ();            /* sends what the window allows; false: lost */
  bool spool_entry (Entry & e, bool at_stop);
  void spool_left ();
  void forget_on_disk (const std::vector<uint64_t> &spool_ids);

  std::unique_ptr<Transport> transport_;
  const size_t capacity_;
  PublisherCallbacks callbacks_;
  std::unique_ptr<Spool> spool_;

  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::list<Entry> entries_;    /* a list: an entry stays put while others go */
  std::vector<uint64_t> to_remove_;     /* spool ids of dropped entries, for the keeper */
  size_t sent_ = 0;             /* entries_[0, sent_) are sent, not acknowledged */
  PublisherStats stats_;
  bool stopping_ = false;
  bool keeper_stopping_ = false;
  int drain_ms_ = 0;
  bool warned_overflow_ = false;
  bool warned_spool_ = false;   /* a spool write failed (once per streak) */
  bool warned_spool_full_ = false;

  int wake_fd_ = -1;
  std::condition_variable keeper_wake_;
  std::thread worker_;
  std::thread keeper_;
};

/* The transport of method "file": appends each message's payload as one line
 * to `path`, flushed after every line; acknowledged once written. */
std::unique_ptr<Transport> make_file_transport (const std::string & path);

/* The parts of an mqtt:// or mqtts:// address. */
struct MqttAddress
{
  bool tls = false;
  std::string host;
  int port = 1883;
  std::string username;
  std::string password;
};

/* Parses mqtt://[user[:password]@]host[:port][/] (mqtts:// for TLS, port 8883
 * by default; IPv6 hosts in brackets). Throws std::invalid_argument naming
 * what is wrong. */
MqttAddress parse_mqtt_address (const std::string & url);

/* A message on the command topic: its payload, and whether the broker
 * kept it (retained). Called on the publisher's worker thread. */
using CommandHandler = std::function<void (const std::string & payload,
    bool retained)>;

struct MqttOptions
{
  MqttAddress address;
  std::string client_id;
  int keepalive = 30;           /* seconds */
  int qos = 1;                  /* for the availability topic */
  std::string status_topic;     /* "online" retained on connect, will "offline" */
  std::string tls_ca_file;      /* empty: the system's certificates */
  std::string tls_cert_file;
  std::string tls_key_file;
  bool tls_insecure = false;    /* do not check the server's host name */
  std::string command_topic;    /* subscribed at each connection ("": none) */
  CommandHandler on_command;
};

/* The transport of method "mqtt" (libmosquitto, driven by the worker thread
 * alone). Throws std::runtime_error when libmosquitto refuses the options
 * (a TLS file it cannot read). */
std::unique_ptr<Transport> make_mqtt_transport (const MqttOptions & options);

}  // namespace wellpublish
