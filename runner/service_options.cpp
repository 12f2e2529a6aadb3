#include "service_options.h"

#include "camera_id.h"
#include "secrets.h"

#include <CLI/CLI.hpp>
#include <arpa/inet.h>

#include <regex>

namespace wellmonitor::run {

const char* const kServiceHelp = R"(Service (docs/service.md; wellmonitor@CAMERA.service runs `NAME --config /etc/wellmonitor/CAMERA.conf`):
  --config FILE         read more of the command line from FILE, where --config stands:
                        its words, line by line, split as a shell splits them; # comments;
                        later options override earlier ones
  --metrics-port N      serve Prometheus metrics at http://ADDRESS:N/metrics (0: any free
                        port, said on stderr)
  --metrics-address A   the address the metrics endpoint listens on (default 127.0.0.1)
  --hang-timeout S      seconds a frame may take through the pipeline before its streaming
                        thread counts as hung and the systemd watchdog heartbeat stops (default 20)
  --mqtt-topic PREFIX   topic prefix of the published messages (default wellmonitor; a site:
                        wellmonitor/SITE/LINE, see docs/mqtt.md)
  --mqtt-password-file FILE  the broker's password (default: the systemd credential
                        mqtt-password when the service has one); never put it in --mqtt's URL
  --rtsp-password-file FILE  the camera's password, for rtsp://USER@host/... (default: the
                        systemd credential rtsp-password when the service has one)
Under systemd (Type=notify, NOTIFY_SOCKET set) it says READY=1 once the pipeline is built,
keeps a WatchdogSec= heartbeat while frames go through or the camera is being reconnected,
and says what it does in STATUS= (systemctl status).
)";

void add_service_options(CLI::App* app, RunOptions& o, ServiceRawOptions& raw) {
  app->add_option("--metrics-port", raw.metrics_port);
  app->add_option("--metrics-address", o.metrics_address);
  app->add_option("--hang-timeout", raw.hang_timeout);
  app->add_option("--mqtt-topic", o.mqtt_topic);
  app->add_option("--mqtt-password-file", o.mqtt_password_file);
  app->add_option("--rtsp-password-file", o.rtsp_password_file);
}

namespace {

std::string check_password_file(const std::string& path, const char* flag, std::vector<std::string>& notes,
                                const std::string& name) {
  std::string error, warning;
  if (!read_secret_file(path, error, &warning)) return std::string(flag) + ": " + error;
  if (!warning.empty()) notes.push_back(name + ": warning: " + warning);
  return "";
}

}  // namespace

std::string check_service_options(RunOptions& o, const ServiceRawOptions& raw, const ParseEnvironment& env,
                                  const std::vector<std::string>& command_line, std::vector<std::string>& notes) {
  if (!raw.metrics_port.empty()) {
    static const std::regex port(R"(^[0-9]{1,5}$)");
    if (!std::regex_match(raw.metrics_port, port) || std::stoi(raw.metrics_port) > 65535)
      return "--metrics-port must be a port number (0-65535), got '" + raw.metrics_port + "'";
    o.metrics_port = std::stoi(raw.metrics_port);
  }
  unsigned char buf[16];
  if (::inet_pton(AF_INET, o.metrics_address.c_str(), buf) != 1 &&
      ::inet_pton(AF_INET6, o.metrics_address.c_str(), buf) != 1)
    return "--metrics-address must be an IPv4 or IPv6 address, got '" + o.metrics_address + "'";
  static const std::regex seconds(R"(^[0-9]*\.?[0-9]+$)");
  if (!std::regex_match(raw.hang_timeout, seconds) || std::stod(raw.hang_timeout) <= 0)
    return "--hang-timeout must be a number of seconds > 0, got '" + raw.hang_timeout + "'";
  o.hang_timeout_s = std::stod(raw.hang_timeout);

  if (!o.mqtt_topic.empty()) {
    if (o.mqtt.empty()) return "--mqtt-topic goes with --mqtt URL";
    if (o.mqtt_topic.find_first_of("+#") != std::string::npos || o.mqtt_topic.front() == '/' ||
        o.mqtt_topic.back() == '/' || o.mqtt_topic.find("//") != std::string::npos)
      return "--mqtt-topic must be a topic prefix such as wellmonitor/plant1/line2 (no +, #, or empty levels), got '" +
             o.mqtt_topic + "'";
  }

  // The passwords: the option's file, else the service's credential.
  if (!o.mqtt_password_file.empty() && o.mqtt.empty()) return "--mqtt-password-file goes with --mqtt URL";
  if (o.mqtt_password_file.empty() && !o.mqtt.empty())
    o.mqtt_password_file = credential_path(kMqttPasswordCredential, env.getenv);
  if (!o.mqtt_password_file.empty()) {
    if (url_has_password(o.mqtt)) return "--mqtt's URL has a password and a password file is given: keep the file";
    const std::string e = check_password_file(o.mqtt_password_file, "--mqtt-password-file", notes, o.name);
    if (!e.empty()) return e;
  }
  if (!o.rtsp_password_file.empty() && o.mode != Mode::kRtsp) return "--rtsp-password-file goes with rtsp URL";
  if (o.rtsp_password_file.empty() && o.mode == Mode::kRtsp)
    o.rtsp_password_file = credential_path(kRtspPasswordCredential, env.getenv);
  if (!o.rtsp_password_file.empty()) {
    if (url_has_password(o.input)) return "the rtsp URL has a password and a password file is given: keep the file";
    std::string user, rest;
    split_url_user(o.input, user, rest);
    if (user.empty())
      return "a camera password file needs the camera's user in the URL: rtsp://USER@" +
             o.input.substr(o.input.find("://") + 3);
    const std::string e = check_password_file(o.rtsp_password_file, "--rtsp-password-file", notes, o.name);
    if (!e.empty()) return e;
    o.rtsp_user = user;
    o.input = rest;
  }

  // A password typed on the command line is there for every user to read.
  for (const auto& word : command_line)
    if ((word.rfind("mqtt", 0) == 0 || word.rfind("rtsp", 0) == 0) && url_has_password(word))
      notes.push_back(o.name + ": warning: the password in '" + without_credentials(word) +
                      "' is visible to every user of this machine (ps); put it in a file (" +
                      (word.rfind("mqtt", 0) == 0 ? "--mqtt-password-file" : "--rtsp-password-file") +
                      ") or in the service's config file");
  return "";
}

}  // namespace wellmonitor::run
