// The element tests' model: a tiny random compact-ae (base 4, latent 8) made
// with a fixed seed, and two square BGR patches it scores apart: flat grey and
// grey noise. Whichever scores lower is the "normal" patch, the other the
// "spill"; the model file's threshold lies halfway between their scores.
// Link the runtime library (LibTorch) to use it.
#pragma once

#include "wellmonitor/detector.h"
#include "wellmonitor/model_file.h"

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <string>
#include <utility>

namespace wellmonitor_test {

struct TinyModel {
  wellmonitor::ModelFile file;  // as saved, to save variants of it
  std::string path;
  cv::Mat normal, spill;  // patch x patch, BGR
  double normal_score = 0, spill_score = 0, threshold = 0;
};

// Makes and saves it at `path`. The caller checks that the scores are far
// enough apart for its purpose.
inline TinyModel make_tiny_model(const std::string& path, int patch = 32) {
  TinyModel t;
  t.path = path;
  t.normal = cv::Mat(patch, patch, CV_8UC3, cv::Scalar(128, 128, 128));
  cv::Mat noise(patch, patch, CV_8UC1);
  cv::RNG rng(1234);
  rng.fill(noise, cv::RNG::UNIFORM, 0, 256);
  cv::cvtColor(noise, t.spill, cv::COLOR_GRAY2BGR);

  torch::manual_seed(20240611);
  t.file.arch = "compact-ae";
  t.file.arch_params = {{"base", 4}, {"latent", 8}};
  t.file.calibration.threshold = 1.0;
  t.file.calibration.method = "test";
  t.file.build_network();
  wellmonitor::save_model(t.file, path);

  const auto s = wellmonitor::Detector::open(path, "cpu").score({t.normal, t.spill});
  if (s[0] > s[1]) std::swap(t.normal, t.spill);
  t.normal_score = std::min(s[0], s[1]);
  t.spill_score = std::max(s[0], s[1]);
  t.threshold = 0.5 * (t.normal_score + t.spill_score);
  t.file.calibration.threshold = t.threshold;
  wellmonitor::save_model(t.file, path);
  return t;
}

}  // namespace wellmonitor_test
