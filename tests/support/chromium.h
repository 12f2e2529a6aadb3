// Headless Chromium (Debian's chromium) for the tests that render a page.
#pragma once

#include "subprocess.h"

#include <string>
#include <vector>

namespace wellmonitor_test {

inline const std::string kChromium = "/usr/bin/chromium";

// Runs `chromium --headless ... args` with no network and a profile in
// `scratch`, for at most 90 s a try. Headless Chromium now and then stalls at
// start on a busy machine and never exits; a try that runs out of time (exit
// status 124 or 137 from timeout) is made again, up to three tries in all, so
// that a stall neither hangs the suite nor fails a page that renders.
// Chromium is not ours and does not start with the sanitizer runtimes that
// tools/sanitize.sh preloads into every program (it spins at start-up): it
// runs without LD_PRELOAD.
inline ProcessResult run_headless_chromium(std::vector<std::string> args, const std::string& scratch) {
  const std::vector<std::string> common = {"-k", "5", "90", kChromium, "--headless", "--no-sandbox", "--disable-gpu",
                                           "--no-first-run", "--user-data-dir=" + scratch + "/chromium",
                                           "--proxy-server=127.0.0.1:9"};
  args.insert(args.begin(), common.begin(), common.end());
  ProcessResult r;
  for (int attempt = 0; attempt < 3; ++attempt) {
    r = run_process("/usr/bin/timeout", args, scratch, {"LD_PRELOAD"});
    if (r.exit_code != 124 && r.exit_code != 137) break;
  }
  return r;
}

}  // namespace wellmonitor_test
