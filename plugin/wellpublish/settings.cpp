/* wellpublish's settings: checks and the transport they make. */

#include "settings.h"

#include <glib.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace wellpublish {

std::string
default_client_id (const std::string & camera, long pid)
{
  return "wellmonitor-" + safe_name (camera) + "-" + std::to_string (pid);
}

namespace {

/* The first line of `path`, without its line end. */
std::string
read_password (const std::string & path)
{
  gchar *text = nullptr;
  GError *err = nullptr;
  if (!g_file_get_contents (path.c_str (), &text, nullptr, &err)) {
    const std::string why = err->message;
    g_error_free (err);
    throw SetupError (SetupError::Kind::kOpenRead, "Cannot read the password "
        "file: " + why + ".");
  }
  std::string password = text;
  g_free (text);
  return password.substr (0, password.find_first_of ("\r\n"));
}

}  // namespace

std::unique_ptr<Transport>
make_transport (const Settings & s, long pid, CommandHandler on_command)
{
  using Kind = SetupError::Kind;
  if (s.address.empty ())
    throw SetupError (Kind::kSettings, "No address: set 'address' to "
        "mqtt://host:port (method mqtt) or to a file (method file).");
  const std::string &dir = s.event.frame_dir;
  if (!dir.empty () && g_mkdir_with_parents (dir.c_str (), 0755) != 0)
    throw SetupError (Kind::kOpenWrite, "Cannot create the frame folder '" +
        dir + "': " + std::strerror (errno) + ".");

  if (s.file) {
    /* a local file that cannot be written is a mistake to show now */
    FILE *f = std::fopen (s.address.c_str (), "a");
    if (!f)
      throw SetupError (Kind::kOpenWrite, "Cannot write the events file '" +
          s.address + "': " + std::strerror (errno) + ".");
    std::fclose (f);
    return make_file_transport (s.address);
  }

  MqttOptions mqtt;
  try {
    mqtt.address = parse_mqtt_address (s.address);
  } catch (const std::invalid_argument & e) {
    throw SetupError (Kind::kSettings, std::string ("Bad address: ") +
        e.what () + ".");
  }
  if (!s.username.empty ())
    mqtt.address.username = s.username;
  if (!s.password_file.empty ())
    mqtt.address.password = read_password (s.password_file);
  mqtt.qos = s.qos;
  mqtt.status_topic = camera_topic (s.topic, s.event.camera, "status");
  mqtt.client_id = s.client_id.empty ()?
      default_client_id (s.event.camera, pid) : s.client_id;
  mqtt.keepalive = s.keepalive;
  mqtt.tls_ca_file = s.tls_ca_file;
  mqtt.tls_cert_file = s.tls_cert_file;
  mqtt.tls_key_file = s.tls_key_file;
  mqtt.tls_insecure = s.tls_insecure;
  if (s.publish_state && s.commands && on_command) {
    mqtt.command_topic = camera_topic (s.topic, s.event.camera, "command");
    mqtt.on_command = std::move (on_command);
  }
  try {
    return make_mqtt_transport (mqtt);
  } catch (const std::exception & e) {
    throw SetupError (Kind::kSettings, "Cannot set up publishing to '" +
        s.address + "': " + e.what () + ".");
  }
}

std::string
state_directory (const Getenv & getenv)
{
  const char *service = getenv ("STATE_DIRECTORY");
  if (service && *service) {
    const std::string first = service;
    return first.substr (0, first.find (':'));
  }
  const char *xdg = getenv ("XDG_STATE_HOME");
  const char *home = getenv ("HOME");
  const std::string base = xdg && xdg[0] == '/' ? std::string (xdg) :
      std::string (home && *home ? home : "/tmp") + "/.local/state";
  return base + "/wellmonitor";
}

std::string
spool_folder (const Settings & s, const Getenv & getenv)
{
  if (s.spool)
    return *s.spool == "none" ? "" : *s.spool;
  if (s.file)
    return "";
  std::string camera = safe_name (s.event.camera);
  if (camera == "." || camera == "..")
    camera = "_";
  return state_directory (getenv) + "/" + camera + "/spool";
}

std::unique_ptr<Spool>
open_spool (const Settings & s, const Getenv & getenv, std::string & warning)
{
  const std::string dir = spool_folder (s, getenv);
  if (dir.empty ())
    return nullptr;
  try {
    return std::make_unique<Spool> (dir, s.spool_limits);
  } catch (const SpoolBusy & e) {
    throw SetupError (SetupError::Kind::kBusy, std::string ("Cannot publish "
            "camera '") + s.event.camera + "': " + e.what () + ".");
  } catch (const std::exception & e) {
    warning = std::string ("No spool: ") + e.what () + "; undelivered events "
        "wait in memory only and are lost with the process.";
    return nullptr;
  }
}

std::string
undelivered_text (size_t left, uint64_t spooled, const std::string & to,
    const std::string & spool_dir)
{
  std::string text = std::to_string (left) + (left == 1 ? " message" :
      " messages") + " not delivered to " + to + ": ";
  if (spooled >= left)
    return text + (left == 1 ? "it waits" : "they wait") + " in the spool " +
        spool_dir + " and the next start for this camera sends " +
        (left == 1 ? "it" : "them") + " first";
  if (spooled == 0)
    return text + (left == 1 ? "it is" : "they are") + " lost (no spool)";
  const size_t lost = left - spooled;
  return text + std::to_string (spooled) + " wait in the spool " + spool_dir +
      ", " + std::to_string (lost) + (lost == 1 ? " is lost" : " are lost");
}

}  // namespace wellpublish
