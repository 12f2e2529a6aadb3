// preprocess_into (preprocess.h) for a stream of crops of the same few sizes,
// as the element scores them frame after frame: the resampling taps and the
// scratch images of each crop size are made once and kept, so that a warm
// preprocessor allocates nothing. Same code, same values as preprocess_into.
#pragma once

#include "wellmonitor/preprocess.h"

#include <opencv2/core.hpp>

#include <map>
#include <memory>
#include <utility>

namespace wellmonitor {

class CropPreprocessor {
 public:
  explicit CropPreprocessor(const PreprocessConfig& config);
  ~CropPreprocessor();
  CropPreprocessor(const CropPreprocessor&) = delete;
  CropPreprocessor& operator=(const CropPreprocessor&) = delete;

  // Writes channels()*height*width floats of `crop` (CV_8UC3 BGR or CV_8UC1)
  // to `out`, exactly as preprocess_into. Throws std::invalid_argument on an
  // empty or unsupported image.
  void run(const cv::Mat& crop, float* out);

  size_t sizes_seen() const { return cache_.size(); }  // crop sizes (and channel counts) prepared

  struct Prepared;  // taps and scratch for one crop size

 private:
  PreprocessConfig config_;
  std::map<std::pair<std::pair<int, int>, int>, std::unique_ptr<Prepared>> cache_;
};

}  // namespace wellmonitor
