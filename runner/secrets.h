// Passwords (the MQTT broker's, the camera's) come from files, never from the
// command line (which every user sees in ps) or a property an application can
// read back: a file of their own (--mqtt-password-file FILE), or a systemd
// credential (LoadCredential=mqtt-password:/etc/wellmonitor/table1.mqtt-password
// in the unit: systemd hands the service a copy in $CREDENTIALS_DIRECTORY that
// only the service can read). No GStreamer here.
#pragma once

#include <functional>
#include <optional>
#include <string>

namespace wellmonitor::run {

// The credential names the runner looks for in $CREDENTIALS_DIRECTORY.
inline constexpr const char* kMqttPasswordCredential = "mqtt-password";
inline constexpr const char* kRtspPasswordCredential = "rtsp-password";

// $CREDENTIALS_DIRECTORY/NAME when systemd handed the service that credential
// and it is not blank (a blank one is the unit's SetCredential= default for a
// missing file: no password), else "".
std::string credential_path(const std::string& name, const std::function<const char*(const char*)>& getenv);

// The secret in `path`: the whole file (at most 4 KiB) without a final newline.
// nullopt with `error` set when it cannot be read or is empty; `warning` is set
// when others than its owner may read the file.
std::optional<std::string> read_secret_file(const std::string& path, std::string& error, std::string* warning = nullptr);

// Whether a URL carries a password ("mqtt://user:pw@host", "rtsp://u:p@h/x").
bool url_has_password(const std::string& url);

// Splits "rtsp://user@host:554/x" into the user and the URL without it
// ("rtsp://host:554/x"); user "" when there is none.
void split_url_user(const std::string& url, std::string& user, std::string& rest);

}  // namespace wellmonitor::run
