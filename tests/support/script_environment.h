// The environment of the suites that run the pipeline scripts and
// wellmonitor-run as a user does: no display (a plant PC without a screen, or
// CI), this build's runner and plugin with the system's plugins and the build's
// one registry, the per-camera locks in a temporary folder of the suite's own.
// Include from suites compiled with WELLMONITOR_BINARY_DIR and
// WELLMONITOR_GST_SYSTEM_PLUGINS defined.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>

namespace wellmonitor_test {

// This build's wellmonitor-run, as the suites start it.
inline std::string runner_path() { return std::string(WELLMONITOR_BINARY_DIR) + "/runner/wellmonitor-run"; }

class ScriptEnvironment : public ::testing::Environment {
 public:
  // `tmp` gets the suite's temporary folder.
  ScriptEnvironment(std::string name, std::filesystem::path& tmp) : name_(std::move(name)), tmp_(tmp) {}

  void SetUp() override {
    std::string tmpl = "/tmp/wellmonitor-" + name_ + "-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    tmp_ = tmpl;
    unsetenv("DISPLAY");
    unsetenv("WAYLAND_DISPLAY");
    const std::string build = WELLMONITOR_BINARY_DIR;
    setenv("GST_PLUGIN_SYSTEM_PATH", WELLMONITOR_GST_SYSTEM_PLUGINS, 1);
    setenv("GST_REGISTRY", (build + "/wellmonitor-test-registry.bin").c_str(), 1);
    // the scripts exec this build's runner, which loads this build's plugin
    setenv("WELLMONITOR_BUILD", build.c_str(), 1);
    setenv("XDG_STATE_HOME", (tmp_ / "state").c_str(), 1);
    unsetenv("STATE_DIRECTORY");
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(tmp_, ec);
  }

 private:
  std::string name_;
  std::filesystem::path& tmp_;
};

}  // namespace wellmonitor_test
