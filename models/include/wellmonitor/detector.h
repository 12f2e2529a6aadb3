// Scores crops with a model file: the one code path used by the trainer's
// evaluate command and by the GStreamer element, so both give the same score
// for the same crop.
#pragma once

#include "wellmonitor/model_file.h"

#include <opencv2/core.hpp>
#include <torch/torch.h>

#include <string>
#include <vector>

namespace wellmonitor {

class Detector {
 public:
  Detector(ModelFile model, torch::Device device);

  // Loads `path` onto the device `device_request` names (auto|cpu|cuda).
  // Throws ModelFileError or std::runtime_error with a readable reason.
  static Detector open(const std::string& path, const std::string& device_request = "auto");

  // One batched forward pass for all crops (8-bit BGR or grey, any size).
  std::vector<double> score(const std::vector<cv::Mat>& crops);
  // Preprocessed batch [N, C, H, W] on any device -> scores [N] on the CPU.
  torch::Tensor score_tensor(const torch::Tensor& batch);
  // Preprocessed batch -> reconstruction [N, C, H, W] on the CPU.
  torch::Tensor reconstruct(const torch::Tensor& batch);

  const ModelFile& model() const { return model_; }
  double threshold() const { return model_.threshold(); }
  const torch::Device& device() const { return device_; }

 private:
  ModelFile model_;
  torch::Device device_;
};

// Scores a large preprocessed set in batches (progress callback optional).
std::vector<double> score_all(Detector& detector, const torch::Tensor& inputs, int64_t batch_size = 256);
// Scores many crops (8-bit BGR or grey, any size) in batches of `batch_size`.
std::vector<double> score_all(Detector& detector, const std::vector<cv::Mat>& crops, size_t batch_size = 256);

}  // namespace wellmonitor
