// Folders of crops, labels files, deduplication, spill names, ambiguous images and
// the held-out splits, on the committed fixtures (tests/fixtures/crops, written by
// tests/support/make_fixtures.py) and on the real data when it is present.
#include "wellmonitor/dataset.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <opencv2/imgcodecs.hpp>
#include <sys/stat.h>
#include <unistd.h>

namespace wm = wellmonitor;
namespace fs = std::filesystem;

namespace {

const std::string kCrops = std::string(WELLMONITOR_TEST_DATA) + "/crops";
const std::string kBad = std::string(WELLMONITOR_TEST_DATA) + "/bad";
// The one pair of byte-identical files among the fixture normals.
const std::string kDupFirst = "002f1e47-09b8-40fc-bdd3-4e515a67b97a.jpg";
const std::string kDupSecond = "4603a59b-32bd-47d9-a174-f8cc8eaa8cfb.jpg";

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// A fresh, empty folder per test, removed afterwards.
class TempDir {
 public:
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = fs::temp_directory_path() /
            ("wm_dataset_" + std::string(info->test_suite_name()) + "_" + info->name() + "_" + std::to_string(::getpid()));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string str() const { return path_.string(); }
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

void write_text(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

// Copies the first `n` fixture normals (name order) into `dir`.
void copy_normals(const std::string& dir, size_t n) {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(kCrops + "/normal")) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (size_t i = 0; i < n; ++i) fs::copy_file(files[i], fs::path(dir) / files[i].filename());
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const wm::DataError& e) {
    return e.what();
  }
  return "<no DataError>";
}

std::set<std::string> hashes(const std::vector<wm::Crop>& crops, const std::vector<size_t>& idx) {
  std::set<std::string> out;
  for (size_t i : idx) out.insert(crops[i].sha256);
  return out;
}

// Synthetic crops for the split tests: only sha256 and name matter there.
std::vector<wm::Crop> fake_crops(size_t n) {
  std::vector<wm::Crop> v(n);
  for (size_t i = 0; i < n; ++i) {
    v[i].name = "crop_" + std::to_string(i) + ".jpg";
    const std::string s = "content " + std::to_string(i);
    v[i].sha256 = wm::sha256_hex(s.data(), s.size());
  }
  return v;
}

}  // namespace

// ---------------------------------------------------------------- basics

TEST(Dataset, Sha256KnownVectors) {
  // FIPS 180-2 test vectors.
  EXPECT_EQ(wm::sha256_hex("abc", 3), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(wm::sha256_hex("", 0), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Dataset, ImageExtensions) {
  for (const char* n : {"a.jpg", "a.JPG", "b.jpeg", "c.png", "d.BMP", "x.y.Png"}) EXPECT_TRUE(wm::is_image_file(n)) << n;
  for (const char* n : {"a.txt", "jpg", "a.jpg.bak", "labels", "a.gif", ""}) EXPECT_FALSE(wm::is_image_file(n)) << n;
}

// ---------------------------------------------------------------- load_folder

// 40 files with one byte-identical pair: 39 crops, 1 duplicate; the first by name is kept.
TEST(Dataset, LoadFolderDeduplicates) {
  wm::LoadReport rep;
  const auto crops = wm::load_folder(kCrops + "/normal", 0, wm::LoadOptions{}, &rep);
  EXPECT_EQ(rep.files, 40u);
  EXPECT_EQ(rep.loaded, 39u);
  EXPECT_EQ(rep.duplicates, 1u);
  EXPECT_TRUE(rep.bad.empty());
  ASSERT_EQ(crops.size(), 39u);
  std::set<std::string> names, shas;
  for (const auto& c : crops) {
    names.insert(c.name);
    shas.insert(c.sha256);
    EXPECT_EQ(c.label, 0);
    EXPECT_EQ(c.group, -1);  // uuid names carry no well
    EXPECT_EQ(c.image.type(), CV_8UC3);
    EXPECT_GT(c.image.cols, 40);
    EXPECT_GT(c.image.rows, 20);
    EXPECT_EQ(c.sha256.size(), 64u);
  }
  EXPECT_EQ(shas.size(), 39u);
  EXPECT_TRUE(names.count(kDupFirst));
  EXPECT_FALSE(names.count(kDupSecond));
  EXPECT_TRUE(std::is_sorted(crops.begin(), crops.end(),
                             [](const wm::Crop& a, const wm::Crop& b) { return a.name < b.name; }));

  wm::LoadOptions keep;
  keep.dedup = false;
  const auto all = wm::load_folder(kCrops + "/normal", 0, keep, &rep);
  EXPECT_EQ(all.size(), 40u);
  EXPECT_EQ(rep.duplicates, 0u);
  EXPECT_EQ(rep.loaded, 40u);
}

// Spill names give the well and the time of day.
TEST(Dataset, LoadFolderParsesSpillNames) {
  const auto spills = wm::load_folder(kCrops + "/spill", 1, wm::LoadOptions{});
  ASSERT_EQ(spills.size(), 16u);
  std::map<int, int> per_well;
  for (const auto& c : spills) {
    EXPECT_EQ(c.label, 1);
    ++per_well[c.group];
    EXPECT_GT(c.time_ms, 0);
  }
  EXPECT_EQ(per_well, (std::map<int, int>{{19, 2}, {24, 3}, {28, 2}, {29, 3}, {31, 3}, {34, 3}}));
  // 24_CAM_C_01-03-2023_05-39-00-106.jpg: (5*3600 + 39*60 + 0) * 1000 + 106 = 20340106
  const auto it = std::find_if(spills.begin(), spills.end(),
                               [](const wm::Crop& c) { return c.name == "24_CAM_C_01-03-2023_05-39-00-106.jpg"; });
  ASSERT_NE(it, spills.end());
  EXPECT_EQ(it->group, 24);
  EXPECT_EQ(it->time_ms, 20340106);
}

// Without --skip-bad, the first unreadable file stops the load with its name and reason.
TEST(Dataset, BadFileWithoutSkipBadNamesTheFile) {
  {
    TempDir d;
    copy_normals(d.str(), 3);
    fs::copy_file(kBad + "/not_an_image.jpg", d / "not_an_image.jpg");
    const auto msg = error_of([&] { wm::load_folder(d.str(), 0, wm::LoadOptions{}); });
    EXPECT_TRUE(contains(msg, "not_an_image.jpg")) << msg;
    EXPECT_TRUE(contains(msg, "not a readable image")) << msg;
    EXPECT_TRUE(contains(msg, "--skip-bad")) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << "one line: " << msg;
  }
  {
    TempDir d;
    copy_normals(d.str(), 3);
    fs::copy_file(kBad + "/empty.jpg", d / "empty.jpg");
    const auto msg = error_of([&] { wm::load_folder(d.str(), 0, wm::LoadOptions{}); });
    EXPECT_TRUE(contains(msg, "empty.jpg")) << msg;
    EXPECT_TRUE(contains(msg, "empty file")) << msg;
  }
}

// With --skip-bad, unreadable files become counted warnings naming each file.
TEST(Dataset, SkipBadCountsWarnings) {
  TempDir d;
  copy_normals(d.str(), 3);
  fs::copy_file(kBad + "/not_an_image.jpg", d / "not_an_image.jpg");
  fs::copy_file(kBad + "/empty.jpg", d / "empty.jpg");
  write_text(d / "notes.txt", "not an image extension: ignored, not counted\n");
  wm::LoadOptions o;
  o.skip_bad = true;
  wm::LoadReport rep;
  const auto crops = wm::load_folder(d.str(), 0, o, &rep);
  EXPECT_EQ(crops.size(), 3u);
  EXPECT_EQ(rep.files, 5u);
  EXPECT_EQ(rep.loaded, 3u);
  ASSERT_EQ(rep.bad.size(), 2u);
  std::string all = rep.bad[0] + " | " + rep.bad[1];
  EXPECT_TRUE(contains(all, "empty.jpg: empty file")) << all;
  EXPECT_TRUE(contains(all, "not_an_image.jpg: not a readable image")) << all;
}

TEST(Dataset, OnlyBadFilesIsAnErrorEvenWithSkipBad) {
  TempDir d;
  fs::copy_file(kBad + "/not_an_image.jpg", d / "a.jpg");
  fs::copy_file(kBad + "/empty.jpg", d / "b.jpg");
  wm::LoadOptions o;
  o.skip_bad = true;
  const auto msg = error_of([&] { wm::load_folder(d.str(), 0, o); });
  EXPECT_TRUE(contains(msg, d.str())) << msg;
  EXPECT_TRUE(contains(msg, "no readable image")) << msg;
}

TEST(Dataset, MissingOrEmptyFolder) {
  TempDir d;
  auto msg = error_of([&] { wm::load_folder(d / "nowhere", 0, wm::LoadOptions{}); });
  EXPECT_TRUE(contains(msg, "nowhere")) << msg;
  EXPECT_TRUE(contains(msg, "no such folder")) << msg;

  msg = error_of([&] { wm::load_folder(d.str(), 0, wm::LoadOptions{}); });
  EXPECT_TRUE(contains(msg, d.str())) << msg;
  EXPECT_TRUE(contains(msg, "no image files")) << msg;

  write_text(d / "readme.txt", "no images here\n");
  msg = error_of([&] { wm::load_folder(d.str(), 0, wm::LoadOptions{}); });
  EXPECT_TRUE(contains(msg, "no image files")) << msg;

  msg = error_of([&] { wm::load_folder(d / "readme.txt", 0, wm::LoadOptions{}); });
  EXPECT_TRUE(contains(msg, "not a folder")) << msg;
}

// ---------------------------------------------------------------- load_labelled

// The committed labels: 2 comment lines, a blank line, 12 labelled files (4 spills).
TEST(Dataset, LoadLabelled) {
  wm::LoadReport rep;
  const auto crops = wm::load_labelled(kCrops + "/eval", kCrops + "/labels.txt", wm::LoadOptions{}, &rep);
  ASSERT_EQ(crops.size(), 12u);
  EXPECT_EQ(rep.files, 12u);
  int spills = 0;
  for (const auto& c : crops) {
    spills += c.label;
    EXPECT_EQ(c.label == 1, c.name.find("_CAM_") != std::string::npos) << c.name;
    EXPECT_FALSE(c.image.empty());
  }
  EXPECT_EQ(spills, 4);
}

// Every bad line is a DataError that names <labels file>:<line>.
TEST(Dataset, LabelsFileErrorsNameFileAndLine) {
  TempDir d;
  const std::string a = "10cbfbad-a6e0-49c6-bdac-fe237a747083.jpg", b = "23_CAM_C_01-03-2023_05-38-59-246.jpg";
  const std::string labels = d / "labels.txt";
  auto check = [&](const std::string& text, const std::string& where, const std::string& why) {
    write_text(labels, text);
    const auto msg = error_of([&] { wm::load_labelled(kCrops + "/eval", labels, wm::LoadOptions{}); });
    EXPECT_TRUE(contains(msg, labels + ":" + where + ":")) << "want line " << where << ": " << msg;
    EXPECT_TRUE(contains(msg, why)) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << "one line: " << msg;
  };
  check("# header\n" + a + " 0\n" + b + "\n", "3", "expected '<file name> <0|1>'");      // one column
  check(a + " 0 extra\n", "1", "expected '<file name> <0|1>'");                         // three columns
  check(a + " 0\n\n" + b + " 2\n", "3", "label must be 0 or 1");                        // label 2
  check(a + " yes\n", "1", "label must be 0 or 1");                                     // label text
  check(a + " 0\nghost.jpg 1\n", "2", "no file 'ghost.jpg'");                            // missing file
  check(a + " 0\n" + b + " 1\n" + a + " 1\n", "3", "listed twice");                      // duplicate name
}

TEST(Dataset, LabelsFileCommentsBlankLinesAndCrlf) {
  TempDir d;
  const std::string labels = d / "labels.txt";
  write_text(labels,
             "# comment\r\n\r\n   \r\n10cbfbad-a6e0-49c6-bdac-fe237a747083.jpg 0\r\n"
             "  # indented comment\r\n23_CAM_C_01-03-2023_05-38-59-246.jpg\t1\r\n");
  const auto crops = wm::load_labelled(kCrops + "/eval", labels, wm::LoadOptions{});
  ASSERT_EQ(crops.size(), 2u);
  EXPECT_EQ(crops[0].label, 0);
  EXPECT_EQ(crops[1].label, 1);
  EXPECT_EQ(crops[1].group, 23);
}

TEST(Dataset, LabelsFileMissingOrEmpty) {
  TempDir d;
  auto msg = error_of([&] { wm::load_labelled(kCrops + "/eval", d / "nope.txt", wm::LoadOptions{}); });
  EXPECT_TRUE(contains(msg, "nope.txt")) << msg;
  write_text(d / "empty.txt", "# nothing\n");
  msg = error_of([&] { wm::load_labelled(kCrops + "/eval", d / "empty.txt", wm::LoadOptions{}); });
  EXPECT_TRUE(contains(msg, "empty.txt")) << msg;
  EXPECT_TRUE(contains(msg, "no labelled images")) << msg;
  msg = error_of([&] { wm::load_labelled(d / "no_dir", kCrops + "/labels.txt", wm::LoadOptions{}); });
  EXPECT_TRUE(contains(msg, "no_dir")) << msg;
}

// A UTF-8 byte order mark at the start of a labels file is skipped.
TEST(Dataset, LabelsFileByteOrderMarkIsSkipped) {
  TempDir d;
  write_text(d / "labels.txt", "\xEF\xBB\xBF" "10cbfbad-a6e0-49c6-bdac-fe237a747083.jpg 0\n");
  const auto crops = wm::load_labelled(kCrops + "/eval", d / "labels.txt", wm::LoadOptions{});
  ASSERT_EQ(crops.size(), 1u);
  EXPECT_EQ(crops[0].name, "10cbfbad-a6e0-49c6-bdac-fe237a747083.jpg");
}

// Labels name files inside --images only: '../' or an absolute path would read
// any image on the machine.
TEST(Dataset, LabelsLinesLeadingOutsideTheImagesFolderAreRefused) {
  TempDir d;
  const std::string images = d / "images";
  fs::create_directories(images);
  fs::copy_file(kCrops + "/eval/10cbfbad-a6e0-49c6-bdac-fe237a747083.jpg", d / "outside.jpg");
  const std::string inside = kCrops + "/eval/10cbfbad-a6e0-49c6-bdac-fe237a747083.jpg";
  for (const std::string& name : {std::string("../outside.jpg"), std::string("sub/../../outside.jpg"), d / "outside.jpg",
                                  inside}) {
    write_text(d / "labels.txt", "# header\n" + name + " 1\n");
    const auto msg = error_of([&] { wm::load_labelled(images, d / "labels.txt", wm::LoadOptions{}); });
    EXPECT_TRUE(contains(msg, (d / "labels.txt") + ":2:")) << msg;
    EXPECT_TRUE(contains(msg, "'" + name + "' is not a file name inside " + images)) << msg;
  }
}

// The labels file, like a layout, is a regular file: a FIFO without a writer
// or a directory is refused at once, naming the path and why.
TEST(Dataset, LabelsFileThatIsNoRegularFileIsRefused) {
  TempDir d;
  const std::string fifo = d / "labels.fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  for (const auto& [path, why] : std::vector<std::pair<std::string, std::string>>{
           {fifo, "not a regular file (a FIFO)"}, {d.str(), "not a regular file (a directory)"},
           {"/dev/zero", "not a regular file (a character device)"}}) {
    const auto msg = error_of([&] { wm::load_labelled(kCrops + "/eval", path, wm::LoadOptions{}); });
    EXPECT_TRUE(contains(msg, path + ": cannot read labels file: " + why)) << msg;
  }
}

// Crops over 4096x4096 are refused from the header, before decoding allocates
// (a 10000x10000 JPEG would take gigabytes); the header reader knows PNG, BMP
// and JPEG.
TEST(Dataset, CropsOverTheSizeLimitAreRefusedFromTheHeader) {
  TempDir d;
  const cv::Mat small(16, 24, CV_8UC3, cv::Scalar(10, 20, 30));
  std::vector<uchar> png, jpg, bmp;
  ASSERT_TRUE(cv::imencode(".png", small, png));
  ASSERT_TRUE(cv::imencode(".jpg", small, jpg));
  ASSERT_TRUE(cv::imencode(".bmp", small, bmp));
  auto as_string = [](const std::vector<uchar>& v) { return std::string(v.begin(), v.end()); };
  EXPECT_EQ(wm::image_header_size(as_string(png)), cv::Size(24, 16));
  EXPECT_EQ(wm::image_header_size(as_string(jpg)), cv::Size(24, 16));
  EXPECT_EQ(wm::image_header_size(as_string(bmp)), cv::Size(24, 16));
  EXPECT_EQ(wm::image_header_size("GIF89a......"), std::nullopt);

  // The same files claiming 10000x10000 in their headers.
  std::string big_png = as_string(png);
  const unsigned char side[4] = {0x00, 0x00, 0x27, 0x10};  // 10000, big-endian
  big_png.replace(16, 4, reinterpret_cast<const char*>(side), 4);
  big_png.replace(20, 4, reinterpret_cast<const char*>(side), 4);
  std::string big_jpg = as_string(jpg);
  for (size_t i = 2; i + 9 < big_jpg.size(); ++i) {
    if (static_cast<unsigned char>(big_jpg[i]) == 0xFF && static_cast<unsigned char>(big_jpg[i + 1]) == 0xC0) {
      big_jpg.replace(i + 5, 2, reinterpret_cast<const char*>(side + 2), 2);
      big_jpg.replace(i + 7, 2, reinterpret_cast<const char*>(side + 2), 2);
      break;
    }
  }
  ASSERT_EQ(wm::image_header_size(big_jpg), cv::Size(10000, 10000));
  std::ofstream(d / "a_big.png", std::ios::binary) << big_png;
  std::ofstream(d / "b_big.jpg", std::ios::binary) << big_jpg;
  std::ofstream(d / "c_small.png", std::ios::binary) << as_string(png);
  auto msg = error_of([&] { wm::load_folder(d.str(), 0, wm::LoadOptions{}); });
  EXPECT_TRUE(contains(msg, "a_big.png: image of 10000x10000 is larger than the 4096x4096 a crop may be")) << msg;
  wm::LoadOptions skip;
  skip.skip_bad = true;
  wm::LoadReport rep;
  const auto crops = wm::load_folder(d.str(), 0, skip, &rep);
  ASSERT_EQ(crops.size(), 1u);
  EXPECT_EQ(crops[0].name, "c_small.png");
  ASSERT_EQ(rep.bad.size(), 2u);
  EXPECT_TRUE(contains(rep.bad[1], "b_big.jpg: image of 10000x10000")) << rep.bad[1];
}

// A labelled file that is not an image: an error without --skip-bad, a warning with it.
TEST(Dataset, LabelledBadImage) {
  TempDir d;
  fs::copy_file(kCrops + "/eval/10cbfbad-a6e0-49c6-bdac-fe237a747083.jpg", d / "good.jpg");
  fs::copy_file(kBad + "/not_an_image.jpg", d / "broken.jpg");
  write_text(d / "labels.txt", "good.jpg 0\nbroken.jpg 1\n");
  const auto msg = error_of([&] { wm::load_labelled(d.str(), d / "labels.txt", wm::LoadOptions{}); });
  EXPECT_TRUE(contains(msg, "broken.jpg")) << msg;
  wm::LoadOptions o;
  o.skip_bad = true;
  wm::LoadReport rep;
  const auto crops = wm::load_labelled(d.str(), d / "labels.txt", o, &rep);
  EXPECT_EQ(crops.size(), 1u);
  ASSERT_EQ(rep.bad.size(), 1u);
  EXPECT_TRUE(contains(rep.bad[0], "broken.jpg")) << rep.bad[0];
}

// ---------------------------------------------------------------- names and ambiguity

TEST(Dataset, ParseSpillName) {
  auto s = wm::parse_spill_name("22_CAM_C_01-03-2023_05-39-13-364.jpg");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->well, 22);
  // (5*3600 + 39*60 + 13) * 1000 + 364 = 20353 * 1000 + 364
  EXPECT_EQ(s->time_ms, 20353364);
  s = wm::parse_spill_name("8_CAM_A_31-12-2023_23-59-59-999.png");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->well, 8);
  EXPECT_EQ(s->time_ms, 86399999);
  // the date orders captures across days: the last millisecond of a day comes
  // before the first of the next, and New Year's Day after New Year's Eve
  const auto eve = wm::parse_spill_name("8_CAM_A_31-12-2023_23-59-59-999.png");
  const auto day = wm::parse_spill_name("8_CAM_A_01-01-2024_00-00-00-000.png");
  const auto next = wm::parse_spill_name("8_CAM_A_02-01-2024_00-00-00-000.png");
  ASSERT_TRUE(eve && day && next);
  EXPECT_LT(eve->ordering_ms(), day->ordering_ms());
  EXPECT_EQ(next->ordering_ms() - day->ordering_ms(), 86400000);
  EXPECT_EQ(day->time_ms, 0);
  for (const char* bad : {"22_CAM_C_32-03-2023_05-39-13-364.jpg", "22_CAM_C_01-13-2023_05-39-13-364.jpg",
                          "22_CAM_C_01-03-2023_24-39-13-364.jpg", "22_CAM_C_01-03-2023_05-60-13-364.jpg",
                          "1234567_CAM_C_01-03-2023_05-39-13-364.jpg", "22_CAM_C_00-03-2023_05-39-13-364.jpg",
                          "22_CAM_C_01-03-2023_05-39-13-364.jpg.txt", "22__01-03-2023_05-39-13-364.jpg"})
    EXPECT_FALSE(wm::parse_spill_name(bad)) << bad;
  for (const char* bad : {"00e6e17b-3730-4113-8d35-e79c8bc30cac.jpg", "22_CAM_C_01-03-2023_05-39-13.jpg",
                          "CAM_C_01-03-2023_05-39-13-364.jpg", "22_CAM_C_01-03-2023_05-39-13-364", "x22_CAM_C_01-03-2023_05-39-13-364.jpg",
                          "22_CAM_C_1-3-2023_05-39-13-364.jpg", ""})
    EXPECT_FALSE(wm::parse_spill_name(bad)) << bad;
}

// normal {a, b, c}, spills {c, c, d}: c is in both -> 1 distinct image dropped from both sides.
TEST(Dataset, DropAmbiguous) {
  auto make = [](std::initializer_list<const char*> shas) {
    std::vector<wm::Crop> v;
    for (const char* s : shas) {
      wm::Crop c;
      c.sha256 = s;
      c.name = std::string(s) + ".jpg";
      v.push_back(c);
    }
    return v;
  };
  auto normal = make({"a", "b", "c"});
  auto spills = make({"c", "c", "d"});
  EXPECT_EQ(wm::drop_ambiguous(normal, spills), 1u);
  ASSERT_EQ(normal.size(), 2u);
  EXPECT_EQ(normal[0].sha256, "a");
  EXPECT_EQ(normal[1].sha256, "b");
  ASSERT_EQ(spills.size(), 1u);
  EXPECT_EQ(spills[0].sha256, "d");
  EXPECT_EQ(wm::drop_ambiguous(normal, spills), 0u);  // nothing left to drop
}

// ---------------------------------------------------------------- normal splits

// 1000 crops, fractions val .05, calib .10, test .10 -> 50 / 100 / 100 and 750 for training;
// the parts are disjoint and cover every crop exactly once.
TEST(Splits, NormalPartsAreDisjointAndComplete) {
  const auto crops = fake_crops(1000);
  const auto s = wm::split_normals(crops, wm::SplitFractions{}, 42);
  EXPECT_EQ(s.val.size(), 50u);
  EXPECT_EQ(s.calib.size(), 100u);
  EXPECT_EQ(s.test.size(), 100u);
  EXPECT_EQ(s.train.size(), 750u);
  std::vector<int> seen(crops.size(), 0);
  for (const auto* part : {&s.train, &s.val, &s.calib, &s.test})
    for (size_t i : *part) {
      ASSERT_LT(i, crops.size());
      ++seen[i];
    }
  for (size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i], 1) << "crop " << i;
}

// The split depends on the set of crops and the seed only: shuffled input gives the
// same content hashes in every part.
TEST(Splits, NormalSplitIndependentOfInputOrder) {
  const auto crops = fake_crops(500);
  auto shuffled = crops;
  std::mt19937 rng(123);
  std::shuffle(shuffled.begin(), shuffled.end(), rng);
  for (auto& c : shuffled) c.name = "renamed_" + c.name;  // names do not matter either
  const auto a = wm::split_normals(crops, wm::SplitFractions{}, 7);
  const auto b = wm::split_normals(shuffled, wm::SplitFractions{}, 7);
  EXPECT_EQ(hashes(crops, a.train), hashes(shuffled, b.train));
  EXPECT_EQ(hashes(crops, a.val), hashes(shuffled, b.val));
  EXPECT_EQ(hashes(crops, a.calib), hashes(shuffled, b.calib));
  EXPECT_EQ(hashes(crops, a.test), hashes(shuffled, b.test));
}

TEST(Splits, NormalSplitSeed) {
  const auto crops = fake_crops(300);
  const auto a = wm::split_normals(crops, wm::SplitFractions{}, 5);
  const auto b = wm::split_normals(crops, wm::SplitFractions{}, 5);
  EXPECT_EQ(a.train, b.train);
  EXPECT_EQ(a.val, b.val);
  EXPECT_EQ(a.calib, b.calib);
  EXPECT_EQ(a.test, b.test);
  const auto c = wm::split_normals(crops, wm::SplitFractions{}, 6);
  EXPECT_NE(hashes(crops, a.test), hashes(crops, c.test)) << "another seed should give another split";
}

// On the real fixture crops (deduplicated): no test, calibration or validation crop's
// bytes are in the training part.
TEST(Splits, HeldOutCropsNeverInTraining) {
  const auto crops = wm::load_folder(kCrops + "/normal", 0, wm::LoadOptions{});
  const auto s = wm::split_normals(crops, wm::SplitFractions{}, 1);
  // 39 crops: test round(3.9) = 4, calib 4, val round(1.95) = 2, train 29.
  EXPECT_EQ(s.test.size(), 4u);
  EXPECT_EQ(s.calib.size(), 4u);
  EXPECT_EQ(s.val.size(), 2u);
  EXPECT_EQ(s.train.size(), 29u);
  const auto train = hashes(crops, s.train);
  for (const auto* part : {&s.val, &s.calib, &s.test})
    for (size_t i : *part) EXPECT_EQ(train.count(crops[i].sha256), 0u) << crops[i].name;
}

TEST(Splits, NormalSplitBadFractions) {
  const auto crops = fake_crops(100);
  EXPECT_THROW(wm::split_normals(crops, wm::SplitFractions{-0.1, 0.1, 0.1}, 1), std::invalid_argument);
  EXPECT_THROW(wm::split_normals(crops, wm::SplitFractions{0.4, 0.4, 0.2}, 1), std::invalid_argument);
  // Too few crops to leave one for training: 3 crops, each held-out part takes at least one.
  EXPECT_THROW(wm::split_normals(fake_crops(3), wm::SplitFractions{}, 1), std::invalid_argument);
  // A part with fraction 0 is empty.
  const auto s = wm::split_normals(crops, wm::SplitFractions{0.0, 0.2, 0.0}, 1);
  EXPECT_TRUE(s.val.empty());
  EXPECT_TRUE(s.test.empty());
  EXPECT_EQ(s.calib.size(), 20u);
  EXPECT_EQ(s.train.size(), 80u);
}

// ---------------------------------------------------------------- spill splits

// Fixture spills: 16 crops of 6 wells; test fraction .5 -> 3 wells each side, every
// crop of one well on the same side.
TEST(Splits, SpillsSplitByWell) {
  const auto spills = wm::load_folder(kCrops + "/spill", 1, wm::LoadOptions{});
  const auto s = wm::split_spills_by_well(spills, 0.5, 1);
  EXPECT_EQ(s.test_wells.size(), 3u);
  EXPECT_EQ(s.calib_wells.size(), 3u);
  EXPECT_EQ(s.calib.size() + s.test.size(), spills.size());
  std::map<int, std::set<char>> sides;
  std::set<size_t> all;
  for (size_t i : s.calib) sides[spills[i].group].insert('c'), all.insert(i);
  for (size_t i : s.test) sides[spills[i].group].insert('t'), all.insert(i);
  EXPECT_EQ(all.size(), spills.size());
  for (const auto& [well, side] : sides) EXPECT_EQ(side.size(), 1u) << "well " << well << " on both sides";
  for (int w : s.test_wells)
    EXPECT_EQ(std::count(s.calib_wells.begin(), s.calib_wells.end(), w), 0) << "well " << w;
  std::set<int> test_wells;
  for (size_t i : s.test) test_wells.insert(spills[i].group);
  EXPECT_EQ(std::vector<int>(test_wells.begin(), test_wells.end()), s.test_wells);
}

TEST(Splits, SpillSplitSeedAndOrder) {
  const auto spills = wm::load_folder(kCrops + "/spill", 1, wm::LoadOptions{});
  const auto a = wm::split_spills_by_well(spills, 0.5, 3);
  const auto b = wm::split_spills_by_well(spills, 0.5, 3);
  EXPECT_EQ(a.test, b.test);
  EXPECT_EQ(a.test_wells, b.test_wells);
  auto reversed = spills;
  std::reverse(reversed.begin(), reversed.end());
  EXPECT_EQ(wm::split_spills_by_well(reversed, 0.5, 3).test_wells, a.test_wells);
  // Some seed among a few gives another choice of wells (C(6,3) = 20 choices).
  bool differs = false;
  for (uint64_t seed = 4; seed < 12 && !differs; ++seed)
    differs = wm::split_spills_by_well(spills, 0.5, seed).test_wells != a.test_wells;
  EXPECT_TRUE(differs);
}

// 31 wells x 3 crops plus 4 crops without a well number (each its own group):
// 35 groups, test fraction .2 -> round(7) = 7 groups held out.
TEST(Splits, SpillSplitGroupsAndFractions) {
  std::vector<wm::Crop> v;
  for (int w = 8; w <= 38; ++w)
    for (int k = 0; k < 3; ++k) {
      wm::Crop c;
      c.group = w;
      c.name = std::to_string(w) + "_" + std::to_string(k);
      v.push_back(c);
    }
  for (int k = 0; k < 4; ++k) {
    wm::Crop c;
    c.name = "anon_" + std::to_string(k);
    v.push_back(c);
  }
  const auto s = wm::split_spills_by_well(v, 0.2, 9);
  size_t test_groups = s.test_wells.size();
  for (size_t i : s.test)
    if (v[i].group < 0) ++test_groups;
  EXPECT_EQ(test_groups, 7u);
  EXPECT_EQ(s.test.size() + s.calib.size(), v.size());
  std::map<int, std::set<char>> sides;
  for (size_t i : s.calib) sides[v[i].group].insert('c');
  for (size_t i : s.test) sides[v[i].group].insert('t');
  for (const auto& [well, side] : sides) {
    if (well >= 0) {
      EXPECT_EQ(side.size(), 1u) << "well " << well;
    }
  }

  EXPECT_TRUE(wm::split_spills_by_well(v, 0.0, 1).test.empty());
  EXPECT_TRUE(wm::split_spills_by_well(v, 1.0, 1).calib.empty());
  EXPECT_THROW(wm::split_spills_by_well(v, 1.5, 1), std::invalid_argument);
  EXPECT_THROW(wm::split_spills_by_well(v, -0.1, 1), std::invalid_argument);
}

// ---------------------------------------------------------------- the real data

// The plant's data beside the checkout (not committed): counts from its README.
TEST(RealData, LoaderCounts) {
  const std::string root = WELLMONITOR_SHARED_DATA;
  const std::string train = root + "/proliv/train", spill = root + "/proliv/proliv";
  if (!fs::is_directory(train) || !fs::is_directory(spill))
    GTEST_SKIP() << "real data not found at " << root << " (proliv/train, proliv/proliv); skipping";
  wm::LoadReport nrep, srep;
  auto normal = wm::load_folder(train, 0, wm::LoadOptions{}, &nrep);
  auto spills = wm::load_folder(spill, 1, wm::LoadOptions{}, &srep);
  EXPECT_EQ(nrep.files, 10000u);
  EXPECT_EQ(normal.size(), 8296u);
  EXPECT_EQ(nrep.duplicates, 1704u);
  EXPECT_EQ(srep.files, 154u);
  EXPECT_EQ(spills.size(), 117u);
  std::set<int> wells;
  for (const auto& c : spills) {
    EXPECT_GE(c.group, 8) << c.name;
    EXPECT_LE(c.group, 38) << c.name;
    wells.insert(c.group);
  }
  // The file names carry 28 well numbers (8..38 without 12, 15 and 18; the data README
  // says 31). Two images are stored under two wells' names (32/33 and 34/35); the loader
  // keeps the first name, and both wells still keep other crops.
  EXPECT_EQ(wells.size(), 28u);
  // The one ambiguous image: 22_CAM_C_01-03-2023_05-39-13-{364,427,511}.jpg = train/00e6e17b-....jpg
  EXPECT_EQ(wm::drop_ambiguous(normal, spills), 1u);
  EXPECT_EQ(normal.size(), 8295u);
  EXPECT_EQ(spills.size(), 116u);
  for (const auto& c : normal) EXPECT_NE(c.name, "00e6e17b-3730-4113-8d35-e79c8bc30cac.jpg");
}

// Raw binary bytes and a 1 MB name echoed into a labels error are escaped and
// cut: one short line that still names the file and line.
TEST(Dataset, LabelsFileBinaryAndHugeNamesAreEscapedAndCut) {
  TempDir d;
  const std::string labels = d / "labels.txt";
  write_text(labels, std::string(1 << 20, 'g') + ".jpg 1\n");
  auto msg = error_of([&] { wm::load_labelled(kCrops + "/eval", labels, wm::LoadOptions{}); });
  EXPECT_TRUE(contains(msg, labels + ":1: no file 'ggg")) << msg.substr(0, 300);
  EXPECT_TRUE(contains(msg, "... (1048580 bytes)'")) << msg.substr(0, 300);
  EXPECT_LT(msg.size(), 600u) << msg.substr(0, 300);
  write_text(labels, "\x89PNG\r\n\x1a\n\x01\x02 x y\n");
  msg = error_of([&] { wm::load_labelled(kCrops + "/eval", labels, wm::LoadOptions{}); });
  EXPECT_TRUE(contains(msg, labels + ":1: expected '<file name> <0|1>', got '\\x89PNG'")) << msg;
  write_text(labels, "a.jpg \x1b[31m\n");
  msg = error_of([&] { wm::load_labelled(kCrops + "/eval", labels, wm::LoadOptions{}); });
  EXPECT_TRUE(contains(msg, "label must be 0 or 1, got '\\x1B[31m'")) << msg;
  EXPECT_EQ(msg.find('\x1b'), std::string::npos) << msg;
}
