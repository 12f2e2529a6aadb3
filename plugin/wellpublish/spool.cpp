/* wellpublish's spool: one fsync'd file per waiting message. */

#include "spool.h"

#include <nlohmann/json.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <glib.h>

namespace wellpublish {

namespace {

constexpr const char *kMagic = "wellpublish-spool 1\n";
constexpr size_t kIdDigits = 20;

std::string
errno_text ()
{
  return std::strerror (errno);
}

bool
write_all (int fd, const std::string & data)
{
  size_t done = 0;
  while (done < data.size ()) {
    const ssize_t n = ::write (fd, data.data () + done, data.size () - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    done += (size_t) n;
  }
  return true;
}

bool
read_file (const std::string & path, std::string & out)
{
  FILE *f = std::fopen (path.c_str (), "rb");
  if (!f)
    return false;
  char buf[65536];
  size_t n;
  out.clear ();
  while ((n = std::fread (buf, 1, sizeof buf, f)) > 0)
    out.append (buf, n);
  const bool ok = !std::ferror (f);
  std::fclose (f);
  return ok;
}

/* "<id>.msg" -> id; 0 when the name is not a message's. */
uint64_t
id_of (const std::string & name)
{
  if (name.size () != kIdDigits + 4 || name.compare (kIdDigits, 4, ".msg") != 0
      || name.find_first_not_of ("0123456789") != kIdDigits)
    return 0;
  return std::strtoull (name.substr (0, kIdDigits).c_str (), nullptr, 10);
}

std::string
encode (const SpoolRecord & r)
{
  const nlohmann::json head = {
    {"topic", r.topic}, {"qos", r.qos}, {"retain", r.retain},
    {"droppable", r.droppable}, {"time_us", r.time_us},
  };
  return kMagic + head.dump () + "\n" + r.payload;
}

/* The record in `text`, or false when it is not one. */
bool
decode (const std::string & text, SpoolRecord & r)
{
  const size_t magic = std::strlen (kMagic);
  if (text.compare (0, magic, kMagic) != 0)
    return false;
  const size_t eol = text.find ('\n', magic);
  if (eol == std::string::npos)
    return false;
  try {
    const nlohmann::json head = nlohmann::json::parse (text.substr (magic,
            eol - magic));
    r.topic = head.at ("topic").get<std::string> ();
    r.qos = head.at ("qos").get<int> ();
    r.retain = head.at ("retain").get<bool> ();
    r.droppable = head.at ("droppable").get<bool> ();
    r.time_us = head.at ("time_us").get<int64_t> ();
  } catch (const std::exception &) {
    return false;
  }
  r.payload = text.substr (eol + 1);
  return !r.topic.empty ();
}

}  // namespace

Spool::Spool (const std::string & dir, SpoolLimits limits)
  : dir_ (dir), limits_ (limits)
{
  if (g_mkdir_with_parents (dir_.c_str (), 0700) != 0)
    throw std::runtime_error ("cannot create the spool folder '" + dir_ +
        "': " + errno_text ());
  const std::string lock = dir_ + "/lock";
  lock_fd_ = ::open (lock.c_str (), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_fd_ < 0)
    throw std::runtime_error ("cannot use the spool folder '" + dir_ + "': " +
        lock + ": " + errno_text ());
  if (::flock (lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    char buf[32] = { 0 };
    const ssize_t n = ::pread (lock_fd_, buf, sizeof buf - 1, 0);
    const pid_t holder = n > 0 ? (pid_t) std::atol (buf) : 0;
    ::close (lock_fd_);
    lock_fd_ = -1;
    if (err != EWOULDBLOCK)
      throw std::runtime_error ("cannot lock the spool folder '" + dir_ +
          "': " + std::strerror (err));
    throw SpoolBusy ("the spool folder '" + dir_ + "' is in use by " +
        (holder == ::getpid ()? std::string ("another element of this process")
            : "process " + std::to_string (holder)), holder);
  }
  const std::string pid = std::to_string (::getpid ()) + "\n";
  if (::ftruncate (lock_fd_, 0) != 0 || ::pwrite (lock_fd_, pid.data (),
          pid.size (), 0) != (ssize_t) pid.size ()) {
    /* the lock holds; only the PID for a refusal's message is missing */
  }
  dir_fd_ = ::open (dir_.c_str (), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  load ();
}

Spool::~Spool ()
{
  if (dir_fd_ >= 0)
    ::close (dir_fd_);
  if (lock_fd_ >= 0)
    ::close (lock_fd_);         /* releases the flock */
}

std::string
Spool::path_of (uint64_t id) const
{
  char name[kIdDigits + 8];
  std::snprintf (name, sizeof name, "%020" PRIu64 ".msg", id);
  return dir_ + "/" + name;
}

void
Spool::load ()
{
  DIR *d = ::opendir (dir_.c_str ());
  if (!d)
    throw std::runtime_error ("cannot read the spool folder '" + dir_ + "': " +
        errno_text ());
  std::vector<uint64_t> ids;
  while (const struct dirent * e = ::readdir (d)) {
    const std::string name = e->d_name;
    if (name.size () > 4 && name.compare (name.size () - 4, 4, ".tmp") == 0)
      ::unlink ((dir_ + "/" + name).c_str ());  /* never renamed into place */
    else if (const uint64_t id = id_of (name))
      ids.push_back (id);
    else if (name.size () > 4 && name.compare (name.size () - 4, 4, ".bad") == 0)
      next_id_ = std::max<uint64_t> (next_id_, id_of (name.substr (0,
                  name.size () - 4)) + 1);
  }
  ::closedir (d);
  std::sort (ids.begin (), ids.end ());
  for (const uint64_t id : ids) {
    next_id_ = std::max<uint64_t> (next_id_, id + 1);
    const std::string path = path_of (id);
    std::string text;
    SpoolRecord r;
    if (!read_file (path, text) || !decode (text, r)) {
      ::rename (path.c_str (), (path + ".bad").c_str ());
      unreadable_++;
      continue;
    }
    r.id = id;
    kept_[id] = Kept { (uint64_t) text.size (), r.droppable };
    bytes_ += text.size ();
    left_.push_back (std::move (r));
  }
}

std::vector<SpoolRecord>
Spool::take_left ()
{
  std::lock_guard<std::mutex> lock (mutex_);
  return std::move (left_);
}

SpoolPut
Spool::put (const SpoolRecord & r)
{
  const std::string text = encode (r);
  std::lock_guard<std::mutex> lock (mutex_);
  SpoolPut result;
  while (kept_.size () + 1 > limits_.max_messages
      || bytes_ + text.size () > limits_.max_bytes) {
    auto victim = std::find_if (kept_.begin (), kept_.end (),
        [](const std::pair<const uint64_t, Kept> &k) {
          return k.second.droppable;
        });
    if (victim != kept_.end () && (!r.droppable || victim->first < r.id)) {
      ::unlink (path_of (victim->first).c_str ());
      bytes_ -= victim->second.bytes;
      result.dropped.push_back (victim->first);
      kept_.erase (victim);
    } else if (r.droppable) {
      result.dropped.push_back (r.id);
      return result;
    } else {
      result.over_limits = true;
      break;
    }
  }

  const std::string path = path_of (r.id);
  const std::string tmp = path + ".tmp";
  const int fd = ::open (tmp.c_str (), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
      0600);
  if (fd < 0)
    throw std::runtime_error ("cannot write " + tmp + ": " + errno_text ());
  const bool ok = write_all (fd, text) && (r.droppable || ::fsync (fd) == 0);
  const std::string why = errno_text ();
  ::close (fd);
  if (!ok || ::rename (tmp.c_str (), path.c_str ()) != 0) {
    const std::string reason = ok ? errno_text () : why;
    ::unlink (tmp.c_str ());
    throw std::runtime_error ("cannot write " + path + ": " + reason);
  }
  if (!r.droppable && dir_fd_ >= 0)
    ::fsync (dir_fd_);
  kept_[r.id] = Kept { (uint64_t) text.size (), r.droppable };
  bytes_ += text.size ();
  return result;
}

void
Spool::sync ()
{
  std::lock_guard<std::mutex> lock (mutex_);
  if (dir_fd_ >= 0)
    ::fsync (dir_fd_);
}

void
Spool::remove (uint64_t id)
{
  std::lock_guard<std::mutex> lock (mutex_);
  auto it = kept_.find (id);
  if (it == kept_.end ())
    return;
  ::unlink (path_of (id).c_str ());
  bytes_ -= it->second.bytes;
  kept_.erase (it);
}

uint64_t
Spool::count () const
{
  std::lock_guard<std::mutex> lock (mutex_);
  return kept_.size ();
}

uint64_t
Spool::bytes () const
{
  std::lock_guard<std::mutex> lock (mutex_);
  return bytes_;
}

}  // namespace wellpublish
