// The element's working memory stays warm where users run it: a child
// gst-launch-1.0 process with the README's pipeline over the demo replay, a
// clean environment, and the minor page faults the kernel counts for it
// (wait4's rusage). Two runs that differ only in how many frames they analyse
// give the faults of the frames in between, start-up left out: that is what
// the element costs a frame once it is warm. No timing in it.
//
// The bound: with LibTorch's memory in the caching allocator a warm frame
// faults 1-40 pages (the decoder's pool growing now and then; measured on the
// 2-core build machine, loaded and idle). With c10's own allocator, every pass
// gave its activations back to the kernel and faulted them in again:
// 2,500-3,400 a frame. 200 leaves five times the noise and fails at a
// fifteenth of the old cost. WELLMONITOR_CPU_ALLOCATOR=default in the test's
// environment is handed to the child (c10's allocator), to see it fail.
#include "support/gst_build_registry.h"
#include "support/subprocess.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <regex>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

constexpr double kMaxFaultsPerFrame = 200;

fs::path g_dir;
[[maybe_unused]] ::testing::Environment* const kEnv =
    ::testing::AddGlobalTestEnvironment(new wellmonitor_test::BuildRegistryEnvironment("page-faults", g_dir));

struct PipelineRun {
  long faults = 0;
  long frames_analysed = -1;
  wellmonitor_test::ProcessResult process;
};

// The README's pipeline over the first `frames` frames of the demo replay, in a
// gst-launch-1.0 of its own whose environment holds only GStreamer's paths.
PipelineRun run_pipeline(int frames) {
  std::vector<std::string> env = {
      "GST_PLUGIN_PATH=" WELLMONITOR_PLUGIN_DIR,
      "GST_PLUGIN_SYSTEM_PATH=" WELLMONITOR_GST_SYSTEM_PLUGINS,
      "GST_REGISTRY=" + wellmonitor_test::build_registry(),
  };
  if (const char* a = std::getenv("WELLMONITOR_CPU_ALLOCATOR")) env.push_back(std::string("WELLMONITOR_CPU_ALLOCATOR=") + a);
  const std::string src = WELLMONITOR_SOURCE_DIR;
  PipelineRun r;
  r.process = wellmonitor_test::run_process_with_env(
      "/usr/bin/gst-launch-1.0",
      {"-m", "filesrc", "location=" + src + "/pipelines/demo/replay.mp4", "!", "decodebin", "!", "videoconvert", "!",
       "identity", "eos-after=" + std::to_string(frames), "!", "wellmonitor",
       "wells=" + src + "/pipelines/casting-table.wells.txt", "!", "fakesink", "sync=false"},
      g_dir.string(), env);
  r.faults = r.process.usage.ru_minflt;
  std::smatch m;
  static const std::regex summary(R"(wellmonitor-summary, frames=\(guint64\)\d+, frames-analysed=\(guint64\)(\d+))");
  if (std::regex_search(r.process.out, m, summary)) r.frames_analysed = std::stol(m[1]);
  return r;
}

TEST(ElementInGstLaunch, FaultsFewPagesPerAnalysedFrameOnceWarm) {
  // Short, long, short again: the first run may also rebuild the registry.
  const PipelineRun short1 = run_pipeline(20);
  const PipelineRun longer = run_pipeline(120);
  const PipelineRun short2 = run_pipeline(20);
  for (const PipelineRun* r : {&short1, &longer, &short2}) {
    ASSERT_EQ(r->process.exit_code, 0) << r->process.describe();
    ASSERT_GT(r->frames_analysed, 0) << "no wellmonitor-summary in\n" << r->process.out;
  }
  const PipelineRun& shorter = short1.faults <= short2.faults ? short1 : short2;
  const long frames = longer.frames_analysed - shorter.frames_analysed;
  ASSERT_GE(frames, 80) << longer.frames_analysed << " vs " << shorter.frames_analysed;
  const double per_frame = static_cast<double>(longer.faults - shorter.faults) / frames;
  RecordProperty("faults_per_frame", std::to_string(per_frame));
  EXPECT_LT(per_frame, kMaxFaultsPerFrame)
      << "minor page faults: " << shorter.faults << " for " << shorter.frames_analysed << " frames, "
      << longer.faults << " for " << longer.frames_analysed << " frames";
  std::printf("minor page faults per analysed frame once warm: %.1f (%ld for %ld frames, %ld for %ld; peak RSS %ld MiB)\n",
              per_frame, shorter.faults, shorter.frames_analysed, longer.faults, longer.frames_analysed,
              longer.process.usage.ru_maxrss / 1024);
}

}  // namespace
