/* wellpublish's settings as its properties give them, and what the start makes
 * of them: the checks that fail the start with a message for the user, and
 * the transport (an MQTT client, or a file of JSON lines). No element here:
 * the element copies its properties into a Settings under its lock and hands
 * it over. */
#pragma once

#include "event.h"
#include "publisher.h"
#include "spool.h"

#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

namespace wellpublish {

struct Settings
{
  bool file = false;            /* method "file": JSON lines appended to `address` */
  std::string address;          /* mqtt://... (mqtts://), or the file's path */
  std::string topic = "wellmonitor";    /* the topic prefix */
  int qos = 1;
  size_t queue_size = 1000;     /* messages that may wait for the transport */
  std::string client_id;        /* "": default_client_id () */
  std::string username;         /* overrides the address's */
  std::string password_file;    /* its first line overrides the address's password */
  std::string tls_ca_file, tls_cert_file, tls_key_file;
  bool tls_insecure = false;
  int keepalive = 30;           /* seconds */
  EventSettings event;          /* the camera, the snapshot, the frame files */
  bool publish_scores = false;
  /* The retained kinds (MQTT): each well's state, the stats and the
   * snapshot pictures, and the command topic. The element sets it for
   * method mqtt; off, only events, camera events and scores go out. */
  bool publish_state = false;
  unsigned stats_interval_s = 10;       /* the stats' period; 0: none */
  int snapshot_width = 640;             /* the snapshot pictures' width; 0: none */
  bool commands = true;                 /* take commands on CAMERA/command */
  int drain_ms = 5000;          /* at the stop, while connected */
  /* The spool's folder: unset, the camera's default (method mqtt); "" or
   * "none": no spool. */
  std::optional<std::string> spool;
  SpoolLimits spool_limits;
};

/* Why the start fails: one line for the user, and what kind of mistake. */
class SetupError : public std::runtime_error
{
public:
  enum class Kind { kSettings, kOpenWrite, kOpenRead, kBusy };
  SetupError (Kind k, const std::string & message)
    : std::runtime_error (message), kind (k) {}
  const Kind kind;
};

/* "wellmonitor-CAMERA-PID", the camera made safe for a client id. */
std::string default_client_id (const std::string & camera, long pid);

/* Checks `s` (an address is given and parses, the events file and the frame
 * folder can be written, the password file read) and makes its transport,
 * unconnected: throws SetupError. `pid` goes into the default client id.
 * With s.publish_state and s.commands, an MQTT transport subscribes to
 * CAMERA/command and hands each message to `on_command`. */
std::unique_ptr<Transport> make_transport (const Settings & s, long pid,
    CommandHandler on_command = nullptr);

using Getenv = std::function<const char *(const char *)>;

/* The state directory: $STATE_DIRECTORY (a systemd service's; the first of
 * a list), else $XDG_STATE_HOME/wellmonitor (an absolute one), else
 * $HOME/.local/state/wellmonitor. */
std::string state_directory (const Getenv & getenv);

/* The spool folder of `s`, "" for none: the spool property when set ("" and
 * "none": none); else, for method mqtt, STATE/CAMERA/spool (the camera made
 * safe for a file name); method file has none by default. */
std::string spool_folder (const Settings & s, const Getenv & getenv);

/* The spool of `s`, or nullptr for none. A folder that another spool holds
 * is a SetupError (kBusy: another process publishes this camera); one that
 * cannot be used is no spool, with `warning` set (events then wait in memory
 * only, and the monitor goes on). */
std::unique_ptr<Spool> open_spool (const Settings & s, const Getenv & getenv,
    std::string & warning);

/* The line for messages left undelivered at the stop: how many, to what, and
 * where they wait (`spooled` of them in `spool_dir`). */
std::string undelivered_text (size_t left, uint64_t spooled,
    const std::string & to, const std::string & spool_dir);

}  // namespace wellpublish
