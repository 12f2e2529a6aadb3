/* wellpublish's spool: the messages that wait for the broker, kept on disk so
 * that no stop, SIGKILL or reboot loses an alarm or a clear. No GStreamer.
 *
 * One file per message in a folder of its own ("<20-digit id>.msg"), written
 * under a temporary name, fsync'd and renamed into place, the folder fsync'd
 * after: a message the next process finds is whole. A delivered message's file
 * is removed. The ids give the order: the next process for the folder reads
 * the messages back in that order and sends them before anything new.
 *
 * Bounded: when a new message would take the spool past `max_messages` or
 * `max_bytes`, the oldest droppable message (scores) goes first, or the new
 * one when it is droppable and no older one is; a message that is not
 * droppable (an alarm, a clear, a camera event) is never dropped: the spool
 * grows past its bound for it, and says so.
 *
 * One user at a time: the folder's file "lock" is flock(2)ed (and holds the
 * PID); a second Spool on the folder, in this process or another, is refused
 * with that PID. The lock goes with the process, so a SIGKILL frees it. */
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <sys/types.h>
#include <vector>

namespace wellpublish {

/* One message as the spool keeps it. */
struct SpoolRecord
{
  uint64_t id = 0;              /* its place in the order (Spool::next_id) */
  std::string topic;
  std::string payload;
  int qos = 1;
  bool retain = false;
  bool droppable = false;
  int64_t time_us = 0;          /* when it happened, microseconds since 1970 (0: unknown) */
};

struct SpoolLimits
{
  uint64_t max_messages = 10000;
  uint64_t max_bytes = 64ull << 20;
};

/* What put () did beyond writing the message. */
struct SpoolPut
{
  std::vector<uint64_t> dropped;        /* ids dropped to make room (maybe the new one) */
  bool over_limits = false;     /* written past the bounds: nothing droppable was left */
};

/* The folder is another Spool's: `holder` is the PID in its lock file (0 when
 * unknown). */
class SpoolBusy : public std::runtime_error
{
public:
  SpoolBusy (const std::string & what, pid_t pid)
    : std::runtime_error (what), holder (pid) {}
  const pid_t holder;
};

class Spool
{
public:
  /* Creates `dir` (mode 0700) when needed, takes its lock and reads what an
   * earlier process left; files it cannot read are renamed *.bad and
   * counted. Throws SpoolBusy, or std::runtime_error naming the folder and
   * what failed. */
  Spool (const std::string & dir, SpoolLimits limits);
  ~Spool ();
  Spool (const Spool &) = delete;
  Spool & operator= (const Spool &) = delete;

  const std::string & dir () const { return dir_; }

  /* What an earlier process left, in order; given once (then empty). */
  std::vector<SpoolRecord> take_left ();
  /* Files of an earlier process that could not be read (set aside as *.bad). */
  size_t unreadable () const { return unreadable_; }

  /* The id of the next message: ids grow, across processes too. Never
   * waits (the streaming thread takes ids). */
  uint64_t next_id () { return next_id_++; }

  /* Writes `r` (its id from next_id ()), making room first. A droppable
   * message's file is not fsync'd (a scores message lost to a power cut is no
   * loss): sync () makes the names of many lasting at once. Throws
   * std::runtime_error naming the file when it cannot be written. */
  SpoolPut put (const SpoolRecord & r);

  /* The folder fsync'd, after droppable messages were put. */
  void sync ();

  /* Removes message `id` (delivered); nothing when it is not there. */
  void remove (uint64_t id);

  uint64_t count () const;      /* messages on disk */
  uint64_t bytes () const;      /* their files' size */

private:
  std::string path_of (uint64_t id) const;
  void load ();

  struct Kept
  {
    uint64_t bytes = 0;
    bool droppable = false;
  };

  std::string dir_;
  SpoolLimits limits_;
  int lock_fd_ = -1;
  int dir_fd_ = -1;
  mutable std::mutex mutex_;
  std::map<uint64_t, Kept> kept_;       /* on disk, by id */
  uint64_t bytes_ = 0;
  std::atomic<uint64_t> next_id_ { 1 };
  std::vector<SpoolRecord> left_;
  size_t unreadable_ = 0;
};

}  // namespace wellpublish
