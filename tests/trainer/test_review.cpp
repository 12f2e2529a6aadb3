// `wellmonitor-trainer review` writes a page on which the clicks and keys of
// a person become a labels file.
//
// Each page is driven in headless Chromium by a script added to a copy of it.
// The exported labels are exactly the crops a person marked or moved onto (no
// crop nobody looked at is exported as normal), and evaluate and train read
// them; the labels survive closing the browser and opening the page again (a
// new Chromium process on the same profile), and only for the same image set;
// crops without a well in their names are grouped as such; files that are no
// image are skipped with a note, never counted or exported.

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

// "<file> <0|1>" lines (comments and blank lines skipped).
std::map<std::string, int> parse_labels(const std::string& text) {
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
  return labels;
}

const std::string kA = "10cbfbad-a6e0-49c6-bdac-fe237a747083.jpg", kB = "23_CAM_C_01-03-2023_05-38-59-246.jpg",
                  kK = "9082091f-edbc-47e7-9b43-3ccd46b03341.jpg";

class Review : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(kChromium)) GTEST_SKIP() << kChromium << " is missing (Debian: chromium)";
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() / ("wellmonitor-review-" + std::string(info->name()) + "-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // The review page of `images` (with `scores` when given), written to `page`.
  wellmonitor_test::ProcessResult review(const std::string& images, const std::string& page,
                                         const std::string& scores = "") const {
    std::vector<std::string> args = {"review", "--images", images, "--out", page};
    if (!scores.empty()) args.insert(args.end(), {"--scores", scores});
    return run_process(WELLMONITOR_TRAINER, args, dir_.string());
  }

  // Opens a copy of `page` with `script` run after the page's own, in headless
  // Chromium with this test's profile (kept between calls, as a browser keeps
  // it between visits); returns the text the script leaves in <pre id=driven>.
  std::string drive(const std::string& page, const std::string& script, const std::string& copy_name) const {
    std::string html = read_all(page);
    EXPECT_NE(html.find("</body>"), std::string::npos);
    html.insert(html.rfind("</body>"), "<script>\nconst driven = [];\n" + script +
                                           "\nconst pre = document.createElement('pre');\npre.id = 'driven';\n"
                                           "pre.textContent = driven.join('\\n');\ndocument.body.appendChild(pre);\n"
                                           "</script>");
    const std::string copy = (dir_ / copy_name).string();
    std::ofstream(copy) << html;
    const auto r = wellmonitor_test::run_headless_chromium({"--virtual-time-budget=5000", "--dump-dom", "file://" + copy},
                                                          dir_.string());
    EXPECT_EQ(r.exit_code, 0) << r.err;
    const size_t at = r.out.find("<pre id=\"driven\">");
    if (at == std::string::npos) {
      ADD_FAILURE() << "the driver did not run";
      return "";
    }
    std::string text = r.out.substr(at + 17, r.out.find("</pre>", at) - at - 17);
    for (const auto& [from, to] : {std::pair<std::string, std::string>{"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""},
                                   {"&amp;", "&"}})
      for (size_t p; (p = text.find(from)) != std::string::npos;) text.replace(p, from.size(), to);
    return text;
  }

  fs::path dir_;
};

// Shared by the drivers: a crop's tile, a key press, every tile's label, the
// count line and the export.
const std::string kDriverLib = R"(
const tile = f => document.querySelector('figure[data-file="' + f + '"]');
const key = (t, k) => t.dispatchEvent(new KeyboardEvent('keydown', {key: k, bubbles: true}));
const labels = () => [...document.querySelectorAll('figure')].map(t => t.dataset.file + ' ' + (t.dataset.label || '-'));
const count_and_export = () => {
  driven.push(document.getElementById('count').textContent);
  document.getElementById('export').click();
  driven.push(document.getElementById('exported').value);
};
)";

TEST_F(Review, TheLabelsExportedAreTheCropsLookedAtAndEvaluateAndTrainReadThem) {
  const std::string csv = (dir_ / "scores.csv").string(), page = (dir_ / "review.html").string();
  auto r = run_process(WELLMONITOR_TRAINER,
                       {"evaluate", "--model", std::string(WELLMONITOR_SOURCE_DIR) + "/models/default.wmm", "--images",
                        kEval, "--labels", kData + "/crops/labels.txt", "--scores", csv, "-q"},
                       dir_.string());
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  r = review(kEval, page, csv);
  ASSERT_EQ(r.exit_code, 0) << r.describe();

  // Two clicks (spill), the keyboard on a third (s), one click taken back with n; then Export.
  const std::string text = drive(page, kDriverLib + R"(
tile(')" + kA + R"(').click();
tile(')" + kB + R"(').click();
tile(')" + kK + R"(').focus();
key(document.activeElement, 's');
key(tile(')" + kA + R"('), 'n');
count_and_export();
)", "driven.html");
  EXPECT_NE(text.find("2 spill(s), 1 normal(s), 9 not looked at, of 12"), std::string::npos) << text;
  EXPECT_NE(text.find("3 of 12 crops looked at"), std::string::npos) << text;
  const auto labels = parse_labels(text.substr(text.find('\n') + 1));
  // Only the three crops a person touched; the nine nobody looked at are not exported as normal.
  EXPECT_EQ(labels, (std::map<std::string, int>{{kA, 0}, {kB, 1}, {kK, 1}}));

  // The export is a labels file evaluate reads.
  const std::string file = (dir_ / "labels.txt").string();
  std::ofstream(file) << text.substr(text.find('\n') + 1);
  r = run_process(WELLMONITOR_TRAINER,
                  {"evaluate", "--model", std::string(WELLMONITOR_SOURCE_DIR) + "/models/default.wmm", "--images", kEval,
                   "--labels", file, "-q"},
                  dir_.string());
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_NE(r.out.find("TP="), std::string::npos) << r.out;

  // train --labels takes the same file beside the folders (names relative to the file's folder).
  const fs::path copy = dir_ / "crops";
  fs::create_directories(copy);
  for (const auto& e : fs::directory_iterator(kEval)) fs::copy_file(e.path(), copy / e.path().filename());
  std::ofstream(copy / "labels.txt") << text.substr(text.find('\n') + 1);
  r = run_process(WELLMONITOR_TRAINER,
                  {"train", "--normal", kData + "/crops/normal", "--labels", (copy / "labels.txt").string(), "--out",
                   (dir_ / "m.wmm").string(), "--arch", "compact-ae", "--arch-param", "base=4", "--arch-param",
                   "latent=8", "--epochs", "1", "--threads", "1", "--device", "cpu", "--allow-zero-tpr"},
                  dir_.string());
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_NE(r.err.find("labels.txt: " + std::to_string(crops_n(labels, 0)) + " normal(s), 2 spill(s)"), std::string::npos)
      << r.err;
}

// Labels given on the page are there again when the page is opened anew (a new
// browser process on the same profile: the tab was closed), also when the page
// is written again for the same crops; a page of another set of crops starts
// with none. Crops moved over with the arrow keys count as looked at (normal).
TEST_F(Review, LabelsSurviveClosingThePageForTheSameImageSetOnly) {
  const std::string page = (dir_ / "review.html").string();
  ASSERT_EQ(review(kEval, page).exit_code, 0);
  std::string text = drive(page, kDriverLib + R"(
tile(')" + kB + R"(').click();
tile(')" + kA + R"(').focus();
key(tile(')" + kA + R"('), 'ArrowRight');
key(document.activeElement, 's');
driven.push(document.activeElement.dataset.file);
driven.push(document.getElementById('count').textContent);
)", "first.html");
  const std::string moved_to = text.substr(0, text.find('\n'));
  ASSERT_FALSE(moved_to.empty());
  ASSERT_NE(moved_to, kA);
  EXPECT_NE(text.find("2 spill(s), 1 normal(s), 9 not looked at, of 12"), std::string::npos) << text;

  // The page written again, opened in a new browser process: the same labels.
  const std::string again = (dir_ / "again.html").string();
  ASSERT_EQ(review(kEval, again).exit_code, 0);
  text = drive(again, kDriverLib + R"(
driven.push(...labels());
driven.push(document.getElementById('count').textContent);
)", "second.html");
  std::map<std::string, std::string> seen;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    const size_t sp = line.rfind(' ');
    if (line.find(".jpg ") != std::string::npos) seen[line.substr(0, sp)] = line.substr(sp + 1);
  }
  ASSERT_EQ(seen.size(), 12u) << text;
  for (const auto& [f, l] : seen) EXPECT_EQ(l, f == kB || f == moved_to ? "1" : f == kA ? "0" : "-") << f;
  EXPECT_NE(text.find("2 spill(s), 1 normal(s), 9 not looked at, of 12"), std::string::npos) << text;

  // Another set of crops (one crop fewer): none of those labels.
  const fs::path other = dir_ / "other";
  fs::create_directories(other);
  for (const auto& e : fs::directory_iterator(kEval))
    if (e.path().filename() != kK) fs::copy_file(e.path(), other / e.path().filename());
  const std::string other_page = (dir_ / "other.html").string();
  ASSERT_EQ(review(other.string(), other_page).exit_code, 0);
  text = drive(other_page, kDriverLib + "driven.push(document.getElementById('count').textContent);", "third.html");
  EXPECT_NE(text.find("0 spill(s), 0 normal(s), 11 not looked at, of 11"), std::string::npos) << text;
}

// Crops without a well in their names are one group saying so (never "well -");
// files that are no image are skipped with a warning and a note, and are never
// counted, shown or exported. "rest normal" marks a group's unlooked-at crops.
TEST_F(Review, CropsWithoutAWellAndBrokenFilesAreNamedNotCounted) {
  const fs::path images = dir_ / "images";
  fs::create_directories(images);
  for (const auto& e : fs::directory_iterator(kEval)) fs::copy_file(e.path(), images / e.path().filename());
  const std::string bad = std::string(WELLMONITOR_TEST_DATA) + "/bad";
  fs::copy_file(bad + "/not_an_image.jpg", images / "not_an_image.jpg");
  fs::copy_file(bad + "/empty.jpg", images / "31_CAM_C_01-03-2023_05-39-11-548.jpg");
  const std::string page = (dir_ / "review.html").string();
  const auto r = review(images.string(), page);
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_NE(r.out.find("review: 12 crops"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("2 unreadable file(s) skipped"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("warning: skipped not_an_image.jpg: not a readable image"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("warning: skipped 31_CAM_C_01-03-2023_05-39-11-548.jpg: empty file"), std::string::npos) << r.err;

  const std::string text = drive(page, kDriverLib + R"(
driven.push(...[...document.querySelectorAll('h2')].map(h => 'heading ' + h.firstChild.textContent.trim()));
driven.push('note ' + document.getElementById('skipped').textContent);
driven.push('tiles ' + document.querySelectorAll('figure').length);
document.querySelectorAll('button.rest').forEach(b => b.click());
tile(')" + kB + R"(').click();
count_and_export();
)", "driven.html");
  EXPECT_NE(text.find("heading well 23 (2)"), std::string::npos) << text;
  EXPECT_NE(text.find("heading well 25 (2)"), std::string::npos) << text;
  EXPECT_NE(text.find("heading crops without a well in their names (8)"), std::string::npos) << text;
  EXPECT_EQ(text.find("well -"), std::string::npos) << text;
  EXPECT_EQ(text.find("heading well 31"), std::string::npos) << "a broken file makes no group: " << text;
  EXPECT_NE(text.find("note Skipped 2 file(s) that are no readable image"), std::string::npos) << text;
  EXPECT_NE(text.find("not_an_image.jpg: not a readable image"), std::string::npos) << text;
  EXPECT_NE(text.find("tiles 12"), std::string::npos) << text;
  EXPECT_NE(text.find("1 spill(s), 11 normal(s), 0 not looked at, of 12"), std::string::npos) << text;
  const auto labels = parse_labels(text.substr(text.find("# labels")));
  EXPECT_EQ(labels.size(), 12u) << text;
  EXPECT_EQ(labels.count("not_an_image.jpg"), 0u);
  EXPECT_EQ(labels.count("31_CAM_C_01-03-2023_05-39-11-548.jpg"), 0u);
  EXPECT_EQ(crops_n(labels, 1), 1u);

  // A folder of nothing but broken files is an error, not an empty page.
  const fs::path only_bad = dir_ / "only-bad";
  fs::create_directories(only_bad);
  fs::copy_file(bad + "/not_an_image.jpg", only_bad / "not_an_image.jpg");
  const auto e = review(only_bad.string(), (dir_ / "none.html").string());
  EXPECT_EQ(e.exit_code, 1) << e.describe();
  EXPECT_NE(e.err.find("no readable crops"), std::string::npos) << e.err;
}

}  // namespace
