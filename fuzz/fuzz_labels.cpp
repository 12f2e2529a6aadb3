// libFuzzer harness: the labels reader (wellmonitor::load_labelled and the
// two-column reader under it) against a folder holding two small crops.
//
// Any labels file must either give crops named inside the folder or be
// refused with one DataError line naming the file; a name may never read
// outside the folder.
#include "fuzz_common.h"
#include "wellmonitor/dataset.h"

#include <opencv2/imgcodecs.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

namespace fs = std::filesystem;

static std::string g_images;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const std::string& dir = wellmonitor_fuzz::scratch_dir();
  g_images = dir + "/images";
  fs::create_directories(g_images);
  cv::Mat a(8, 8, CV_8UC3, cv::Scalar(10, 20, 30)), b(6, 9, CV_8UC3, cv::Scalar(200, 100, 0));
  cv::imwrite(g_images + "/a.png", a);
  cv::imwrite(g_images + "/b.jpg", b);
  // Outside the images folder: reading it through the labels file is a finding.
  cv::imwrite(dir + "/outside.png", a);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string labels = wellmonitor_fuzz::write_scratch("labels.txt", data, size);
  for (const bool skip_bad : {false, true}) {
    wellmonitor::LoadOptions options;
    options.skip_bad = skip_bad;
    try {
      const auto crops = wellmonitor::load_labelled(g_images, labels, options);
      for (const auto& c : crops) {
        const fs::path parent = fs::weakly_canonical(fs::path(c.path)).parent_path();
        if (parent != fs::weakly_canonical(g_images) || c.image.empty() || (c.label != 0 && c.label != 1)) {
          std::fprintf(stderr, "labels reader gave a crop outside the folder or unlabelled: %s\n", c.path.c_str());
          std::abort();
        }
      }
    } catch (const wellmonitor::DataError& e) {
      wellmonitor_fuzz::check_one_line(e.what());
      if (std::string(e.what()).rfind(labels, 0) != 0 && std::string(e.what()).rfind(g_images, 0) != 0) {
        std::fprintf(stderr, "labels error names neither the file nor the folder: %s\n", e.what());
        std::abort();
      }
    }
  }
  return 0;
}
