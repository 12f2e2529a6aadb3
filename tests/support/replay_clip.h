// The first frames of the committed demo replay as an MP4 of their own, remuxed
// without decoding (gst-launch-1.0), for the tests that run the pipelines on a
// short clip. The replay's first spill is r1w4, frames 46-105.
#pragma once

#include "subprocess.h"

#include <filesystem>
#include <string>

namespace wellmonitor_test {

// The clip of the replay's first `frames` frames in `dir` (made once); "" when
// it could not be made.
inline std::string replay_clip(int frames, const std::filesystem::path& dir) {
  const std::filesystem::path out = dir / ("clip" + std::to_string(frames) + ".mp4");
  if (!std::filesystem::exists(out))
    run_process("/usr/bin/gst-launch-1.0",
                {"-q", "filesrc", "location=" + std::string(WELLMONITOR_SOURCE_DIR) + "/pipelines/demo/replay.mp4", "!",
                 "qtdemux", "!", "h264parse", "!", "identity", "eos-after=" + std::to_string(frames + 1), "!",
                 "mp4mux", "!", "filesink", "location=" + out.string()},
                dir.string());
  return std::filesystem::exists(out) ? out.string() : "";
}

}  // namespace wellmonitor_test
