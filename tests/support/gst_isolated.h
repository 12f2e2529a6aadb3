// GStreamer for the element tests: a private temporary folder, this build's
// plugin folder and the system plugins on the search path, then gst_init. The
// registry is the build tree's one file that gst_build_registry.h shares (ctest
// runs every case in a process of its own: a private registry would scan every
// system plugin again in each, 1-2 s a case). Include from suites compiled with
// WELLMONITOR_PLUGIN_DIR, WELLMONITOR_GST_SYSTEM_PLUGINS and
// WELLMONITOR_BINARY_DIR defined.
#pragma once

#include "support/gst_build_registry.h"

#include <gst/gst.h>
#include <stdlib.h>

#include <filesystem>
#include <string>

namespace wellmonitor_test {

// Returns the temporary folder (the caller removes it), or an empty path when it
// could not be made.
inline std::filesystem::path init_isolated_gstreamer(const std::string& name) {
  std::string tmpl = "/tmp/wellmonitor-" + name + "-XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) return {};
  const std::filesystem::path dir = tmpl;
  g_setenv("GST_PLUGIN_PATH", WELLMONITOR_PLUGIN_DIR, TRUE);
  g_setenv("GST_PLUGIN_SYSTEM_PATH", WELLMONITOR_GST_SYSTEM_PLUGINS, TRUE);
  g_setenv("GST_REGISTRY", build_registry().c_str(), TRUE);
  gst_init(nullptr, nullptr);
  return dir;
}

}  // namespace wellmonitor_test
