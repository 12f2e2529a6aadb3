// wellmonitor-run: runs the spill monitor's pipeline for one camera or video.
// The pipeline scripts exec it (file.sh is `wellmonitor-run file`, ...); see
// docs/runner.md.

#include "camera_lock.h"
#include "exit_status.h"
#include "health.h"
#include "options.h"
#include "pipeline_description.h"
#include "runner.h"
#include "shadow_report.h"

#include <gst/gst.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

namespace fs = std::filesystem;
using namespace wellmonitor::run;

namespace {

fs::path own_directory() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path() : exe.parent_path();
}

// A build tree holds CMakeCache.txt (CMake) or build.ninja (Meson) one folder up
// from runner/.
bool in_build_tree(const fs::path& dir) {
  return !dir.empty() && (fs::exists(dir.parent_path() / "CMakeCache.txt") || fs::exists(dir.parent_path() / "build.ninja"));
}

std::vector<std::string> pipelines_dirs(const fs::path& dir) {
  if (in_build_tree(dir)) return {WELLMONITOR_SOURCE_PIPELINES};
  std::vector<std::string> dirs;
  if (!dir.empty()) dirs.push_back((dir.parent_path() / "share" / "wellmonitor" / "pipelines").string());
  dirs.push_back(WELLMONITOR_INSTALLED_PIPELINES);
  return dirs;
}

// Points GST_PLUGIN_PATH at the plugin of a build tree (--build, $WELLMONITOR_BUILD,
// or the one this program was built in); otherwise the installed plugin is used.
bool set_plugin_path(const RunOptions& o, const fs::path& own_dir, std::string& error) {
  std::string build = o.build;
  if (build.empty())
    if (const char* env = std::getenv("WELLMONITOR_BUILD")) build = env;
  fs::path plugin;
  if (!build.empty()) {
    plugin = fs::path(build) / "plugin";
    if (!fs::exists(plugin / "libgstwellmonitor.so")) {
      error = "no plugin in '" + plugin.string() + "' (build it: cmake --build " + build + ")";
      return false;
    }
  } else if (in_build_tree(own_dir) && fs::exists(own_dir.parent_path() / "plugin" / "libgstwellmonitor.so")) {
    plugin = own_dir.parent_path() / "plugin";
  }
  if (!plugin.empty()) {
    std::string path = fs::absolute(plugin).lexically_normal().string();
    if (const char* old = std::getenv("GST_PLUGIN_PATH"); old && *old) path += std::string(":") + old;
    setenv("GST_PLUGIN_PATH", path.c_str(), 1);
  }
  return true;
}

std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (const char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

}  // namespace

int main(int argc, char** argv) {
  const std::string name = fs::path(argc > 0 ? argv[0] : "wellmonitor-run").filename().string();
  if (argc > 1 && std::string(argv[1]) == "shadow-report") {
    std::string out, err;
    const int code = run_shadow_report(std::vector<std::string>(argv + 2, argv + argc), name, out, err);
    std::fputs(out.c_str(), stdout);
    std::fputs(err.c_str(), stderr);
    return code;
  }
  const fs::path own_dir = own_directory();
  ParseEnvironment env{[](const char* v) { return static_cast<const char*>(std::getenv(v)); }, pipelines_dirs(own_dir)};
  const ParseResult parsed = parse_command_line(std::vector<std::string>(argv + 1, argv + argc), name, env);
  std::fputs(parsed.out.c_str(), stdout);
  std::fputs(parsed.err.c_str(), stderr);
  if (!parsed.options) return parsed.exit_code;
  const RunOptions& o = *parsed.options;
  for (const auto& note : parsed.notes) std::fprintf(stderr, "%s\n", note.c_str());

  std::string error;
  if (!set_plugin_path(o, own_dir, error)) {
    std::fprintf(stderr, "%s: error: %s\n", name.c_str(), error.c_str());
    return kExitUsage;
  }
  // a reader of stdout that went away must not kill the monitor
  ::signal(SIGPIPE, SIG_IGN);
  gst_init(nullptr, nullptr);

  PipelinePlan plan;
  if (!make_plan(o, plan, error)) {
    std::fprintf(stderr, "%s: error: %s\n", name.c_str(), error.c_str());
    return kExitUsage;
  }
  if (o.dry_run) {
    if (const char* path = std::getenv("GST_PLUGIN_PATH"); path && *path)
      std::printf("GST_PLUGIN_PATH=%s ", shell_quote(path).c_str());
    std::printf("gst-launch-1.0 -e %s\n", launch_description(o, plan).c_str());
    return kExitOk;
  }
  if (!o.output.empty()) {
    const std::string encoder = plan.encoder.substr(0, plan.encoder.find(' '));
    std::fprintf(stderr, "%s: %s -> %s (encoder %s), alarms -> %s\n", name.c_str(), o.input.c_str(), o.output.c_str(),
                 encoder.c_str(), o.log.c_str());
  }

  // One process per camera: a live source always, a file when it is given a camera's id.
  std::optional<CameraLock> lock;
  if (is_live(o.mode) || !o.camera.empty()) {
    CameraLock::Refusal refusal;
    lock = CameraLock::acquire(o.state_dir, o.camera_name(), refusal);
    if (!lock) {
      std::fprintf(stderr, "%s: error: %s\n", name.c_str(), refusal.message.c_str());
      return refusal.holder ? kExitLocked : kExitError;
    }
  }
  Health health;
  return run_pipeline(o, plan, health);
}
