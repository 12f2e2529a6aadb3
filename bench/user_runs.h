// The rows where users run it: the README's pipeline in a gst-launch-1.0
// process of its own with a clean environment, and the Python reference.
#pragma once

#include "in_process.h"
#include "launch_run.h"
#include "video.h"

#include <fmt/core.h>

#include <string>
#include <vector>

namespace bench {

struct Launcher {
  std::string gst_launch = "/usr/bin/gst-launch-1.0";
  std::string plugin_dir;
  std::string tmp_dir;
  int counter = 0;

  // A clean environment: this build's plugin folder and the element's debug
  // log into `log` (wellmonitor:6 writes one LOG line per analysed frame and
  // its summary at EOS; `extra_debug` adds categories).
  LaunchSpec spec(const std::vector<std::string>& pipeline, const std::string& extra_debug = "") {
    LaunchSpec s;
    s.args = {"-q"};
    s.args.insert(s.args.end(), pipeline.begin(), pipeline.end());
    s.log_path = fmt::format("{}/gst-{}.log", tmp_dir, counter++);
    s.env = {"GST_PLUGIN_PATH=" + plugin_dir, "GST_DEBUG=wellmonitor:6" + extra_debug, "GST_DEBUG_NO_COLOR=1",
             "GST_DEBUG_FILE=" + s.log_path};
    return s;
  }
};


// Splits a launch line into gst-launch-1.0's arguments (no quoting: paths with
// spaces are refused where the line is made).
std::vector<std::string> words(const std::string& line);
// `path`, or an error when it cannot go into a launch line unquoted.
std::string checked_path(const std::string& path);
std::string shell_quote(const std::string& s);

// The README's pipeline (with_monitor false: without wellmonitor) in a
// gst-launch-1.0 of its own; threads > 0 sets the element's property.
Result measure_launch(Launcher& launcher, const Job& job, int threads, bool with_monitor, bool default_model);

// The Python reference (bench/reference_element.py) on the frames in `frames_file`.
Result measure_python(const std::string& python, const std::string& script, const std::string& frames_file,
                      const Video& v, const std::string& boxes_json, const Job& job, int threads);

}  // namespace bench
