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

std::unique_ptr<Transport>
make_transport (const Settings & s, long pid)
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
  if (!s.password.empty ())
    mqtt.address.password = s.password;
  mqtt.qos = s.qos;
  mqtt.status_topic = camera_topic (s.topic, s.event.camera, "status");
  mqtt.client_id = s.client_id.empty ()?
      default_client_id (s.event.camera, pid) : s.client_id;
  mqtt.keepalive = s.keepalive;
  mqtt.tls_ca_file = s.tls_ca_file;
  mqtt.tls_cert_file = s.tls_cert_file;
  mqtt.tls_key_file = s.tls_key_file;
  mqtt.tls_insecure = s.tls_insecure;
  try {
    return make_mqtt_transport (mqtt);
  } catch (const std::exception & e) {
    throw SetupError (Kind::kSettings, "Cannot set up publishing to '" +
        s.address + "': " + e.what () + ".");
  }
}

}  // namespace wellpublish
