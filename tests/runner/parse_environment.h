// The runner's command line as a test parses it: an environment of its own (a
// table of variables) and the source tree's pipelines folder.
#pragma once

#include "options.h"

#include <map>
#include <string>
#include <vector>

namespace wellmonitor_test {

inline const std::string kPipelinesDir = std::string(WELLMONITOR_SOURCE_DIR) + "/pipelines";

struct Env {
  std::map<std::string, std::string> vars{{"HOME", "/home/op"}};
  wellmonitor::run::ParseEnvironment get() const {
    return {[this](const char* name) -> const char* {
              const auto it = vars.find(name);
              return it == vars.end() ? nullptr : it->second.c_str();
            },
            {kPipelinesDir}};
  }
};

inline wellmonitor::run::ParseResult parse(const std::vector<std::string>& args, const Env& env = Env(),
                                           const std::string& name = "x.sh") {
  return wellmonitor::run::parse_command_line(args, name, env.get());
}

}  // namespace wellmonitor_test
