// The options of wellmonitor-run as a service (docs/service.md): the metrics
// endpoint, the hang timeout of the systemd heartbeat, the MQTT topic prefix
// of a site, and where the passwords come from. Added to every mode by
// options.cpp; parsing and checking only.
#pragma once

#include "options.h"

#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace wellmonitor::run {

struct ServiceRawOptions {
  std::string metrics_port, hang_timeout = "20";
};

void add_service_options(CLI::App* app, RunOptions& o, ServiceRawOptions& raw);

// Checks them (and resolves the passwords' files: the option's, else the
// systemd credential's). Returns "" or the error; `notes` gets warnings.
// `command_line`: the words as given (before --config files were read in), to
// warn about a password typed where every user sees it.
std::string check_service_options(RunOptions& o, const ServiceRawOptions& raw, const ParseEnvironment& env,
                                  const std::vector<std::string>& command_line, std::vector<std::string>& notes);

// Their part of --help.
extern const char* const kServiceHelp;

}  // namespace wellmonitor::run
