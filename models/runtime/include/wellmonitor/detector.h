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

// How the Detector runs its copy of the network. Either way it scores as the
// model file's network does (within float rounding, 1e-5).
struct InferenceOptions {
  bool fold_batchnorm = true;  // BatchNorm folded into the convolutions at load
  bool channels_last = true;   // NHWC weights and inputs (oneDNN's fast convolutions)
  bool inference_kernels = true;  // inference_ops.h's kernels where they apply (use_inference_kernels())
};

class Detector {
 public:
  Detector(ModelFile model, torch::Device device, InferenceOptions options = {});

  // Loads `path` onto the device `device_request` names (auto|cpu|cuda).
  // Throws ModelFileError or std::runtime_error with a readable reason.
  static Detector open(const std::string& path, const std::string& device_request = "auto");

  // One batched forward pass for all crops (8-bit BGR or grey, any size).
  std::vector<double> score(const std::vector<cv::Mat>& crops);
  // Preprocessed batch [N, C, H, W] on any device -> scores [N] on the CPU.
  torch::Tensor score_tensor(const torch::Tensor& batch);
  // Preprocessed batch -> reconstruction [N, C, H, W] on the CPU.
  torch::Tensor reconstruct(const torch::Tensor& batch);

  // The model file as loaded (its network unchanged, on the device).
  const ModelFile& model() const { return model_; }
  double threshold() const { return model_.threshold(); }
  const torch::Device& device() const { return device_; }
  const InferenceOptions& options() const { return options_; }
  // The network that scores: a copy of the model file's, prepared as `options` say.
  const AutoencoderImpl& inference_network() const { return *net_; }

 private:
  torch::Tensor forward(const torch::Tensor& x);

  ModelFile model_;
  torch::Device device_;
  InferenceOptions options_;
  std::shared_ptr<AutoencoderImpl> net_;
};

// Scores a large preprocessed set in batches (progress callback optional).
std::vector<double> score_all(Detector& detector, const torch::Tensor& inputs, int64_t batch_size = 256);
// Scores many crops (8-bit BGR or grey, any size) in batches of `batch_size`.
std::vector<double> score_all(Detector& detector, const std::vector<cv::Mat>& crops, size_t batch_size = 256);

}  // namespace wellmonitor
