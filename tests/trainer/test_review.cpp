// `wellmonitor-trainer review` writes a page on which the clicks and keys of
// a person become a labels file.
//
// The page of the fixture crops (with evaluate's scores) is driven in headless
// Chromium by a script added to a copy of it: it clicks two crops, marks a
// third with the keyboard (s), takes one click back with n, and presses Export.
// The exported labels are exactly those marks, and evaluate reads the file.

#include "support/chromium.h"
#include "support/subprocess.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

namespace fs = std::filesystem;
using wellmonitor_test::read_all;
using wellmonitor_test::run_process;

namespace {

const std::string kData = WELLMONITOR_TEST_DATA;
const std::string kEval = kData + "/crops/eval";
using wellmonitor_test::kChromium;

size_t crops_n(const std::map<std::string, int>& labels, int v) {
  size_t n = 0;
  for (const auto& [_, l] : labels) n += l == v;
  return n;
}

TEST(Review, TheLabelsExportedAreTheOnesClickedAndEvaluateReadsThem) {
  if (!fs::exists(kChromium)) GTEST_SKIP() << kChromium << " is missing (Debian: chromium)";
  const fs::path dir = fs::temp_directory_path() / ("wellmonitor-review-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string csv = (dir / "scores.csv").string(), page = (dir / "review.html").string();
  auto r = run_process(WELLMONITOR_TRAINER,
                       {"evaluate", "--model", std::string(WELLMONITOR_SOURCE_DIR) + "/models/default.wmm", "--images",
                        kEval, "--labels", kData + "/crops/labels.txt", "--scores", csv, "-q"},
                       dir.string());
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  r = run_process(WELLMONITOR_TRAINER, {"review", "--images", kEval, "--scores", csv, "--out", page}, dir.string());
  ASSERT_EQ(r.exit_code, 0) << r.describe();

  const std::string a = "10cbfbad-a6e0-49c6-bdac-fe237a747083.jpg", b = "23_CAM_C_01-03-2023_05-38-59-246.jpg",
                    k = "9082091f-edbc-47e7-9b43-3ccd46b03341.jpg";
  const std::string driver = R"(<script>
const tile = f => document.querySelector('figure[data-file="' + f + '"]');
const key = (t, k) => t.dispatchEvent(new KeyboardEvent('keydown', {key: k, bubbles: true}));
tile(')" + a + R"(').click();
tile(')" + b + R"(').click();
tile(')" + k + R"(').focus();
key(document.activeElement, 's');
key(tile(')" + a + R"('), 'n');
document.getElementById('export').click();
const pre = document.createElement('pre');
pre.id = 'driven';
pre.textContent = document.getElementById('exported').value;
document.body.appendChild(pre);
</script>)";
  std::string html = read_all(page);
  ASSERT_NE(html.find("</body>"), std::string::npos);
  html.insert(html.rfind("</body>"), driver);
  const std::string driven = (dir / "driven.html").string();
  std::ofstream(driven) << html;
  r = wellmonitor_test::run_headless_chromium({"--virtual-time-budget=5000", "--dump-dom", "file://" + driven},
                                             dir.string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const size_t at = r.out.find("<pre id=\"driven\">");
  ASSERT_NE(at, std::string::npos) << "the driver did not run";
  const std::string text = r.out.substr(at + 17, r.out.find("</pre>", at) - at - 17);

  std::map<std::string, int> labels;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream ls(line);
    std::string f;
    int v = -1;
    ls >> f >> v;
    labels[f] = v;
  }
  size_t crops = 0;
  for (const auto& e : fs::directory_iterator(kEval)) crops += e.path().extension() == ".jpg";
  EXPECT_EQ(labels.size(), crops);
  for (const auto& [f, v] : labels) EXPECT_EQ(v, f == b || f == k ? 1 : 0) << f;

  // The export is a labels file evaluate reads.
  const std::string file = (dir / "labels.txt").string();
  std::ofstream(file) << text;
  r = run_process(WELLMONITOR_TRAINER,
                  {"evaluate", "--model", std::string(WELLMONITOR_SOURCE_DIR) + "/models/default.wmm", "--images", kEval,
                   "--labels", file, "-q"},
                  dir.string());
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_NE(r.out.find("TP=" ), std::string::npos) << r.out;

  // train --labels takes the same file beside the folders (names relative to the file's folder).
  const fs::path copy = dir / "crops";
  fs::create_directories(copy);
  for (const auto& e : fs::directory_iterator(kEval)) fs::copy_file(e.path(), copy / e.path().filename());
  std::ofstream(copy / "labels.txt") << text;
  r = run_process(WELLMONITOR_TRAINER,
                  {"train", "--normal", kData + "/crops/normal", "--labels", (copy / "labels.txt").string(), "--out",
                   (dir / "m.wmm").string(), "--arch", "compact-ae", "--arch-param", "base=4", "--arch-param",
                   "latent=8", "--epochs", "1", "--threads", "1", "--device", "cpu"},
                  dir.string());
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_NE(r.err.find("labels.txt: " + std::to_string(crops_n(labels, 0)) + " normal(s), 2 spill(s)"), std::string::npos)
      << r.err;
  fs::remove_all(dir);
}

}  // namespace
