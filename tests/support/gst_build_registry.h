// GStreamer for the suites that run whole pipelines: like gst_isolated.h (this
// build's plugin folder and GStreamer's system plugins only, a private
// temporary folder), but the registry is one file in the build tree, shared by
// these suites' processes, so that each test case does not scan every system
// plugin again (about 2 s each; ctest runs every case in a process of its own).
// GStreamer rescans what changed and replaces the file atomically.
#pragma once

#include <gst/gst.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>

namespace wellmonitor_test {

inline std::string build_registry() { return std::string(WELLMONITOR_BINARY_DIR) + "/wellmonitor-test-registry.bin"; }

// Returns the temporary folder (the caller removes it), or an empty path.
inline std::filesystem::path init_gstreamer_with_build_registry(const std::string& name) {
  std::string tmpl = "/tmp/wellmonitor-" + name + "-XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) return {};
  g_setenv("GST_PLUGIN_PATH", WELLMONITOR_PLUGIN_DIR, TRUE);
  g_setenv("GST_PLUGIN_SYSTEM_PATH", WELLMONITOR_GST_SYSTEM_PLUGINS, TRUE);
  g_setenv("GST_REGISTRY", build_registry().c_str(), TRUE);
  // wellpublish's default spool (and anything else kept per user) goes here
  g_setenv("XDG_STATE_HOME", (tmpl + "/state").c_str(), TRUE);
  g_unsetenv("STATE_DIRECTORY");
  gst_init(nullptr, nullptr);
  return tmpl;
}

// The suite's GoogleTest environment: GStreamer as above before the first test,
// `dir` set to the temporary folder, which is removed after the last one.
class BuildRegistryEnvironment : public ::testing::Environment {
 public:
  BuildRegistryEnvironment(std::string name, std::filesystem::path& dir) : name_(std::move(name)), dir_(dir) {}
  void SetUp() override {
    dir_ = init_gstreamer_with_build_registry(name_);
    ASSERT_FALSE(dir_.empty());
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

 private:
  std::string name_;
  std::filesystem::path& dir_;
};

}  // namespace wellmonitor_test
