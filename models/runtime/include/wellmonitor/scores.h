// Anomaly scores: how far a reconstruction is from its input, one number per crop.
#pragma once

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <string>
#include <vector>

namespace wellmonitor {

enum class ScoreKind {
  Mse,     // mean squared error over all pixels and channels (the reference)
  L1,      // mean absolute error
  Hybrid,  // a * L1 + b * (1 - SSIM)
  Probability,  // classifiers: sigmoid of the network's spill logit
};

struct ScoreConfig {
  ScoreKind kind = ScoreKind::Mse;
  double a = 1.0;  // hybrid: weight of the L1 term
  double b = 1.0;  // hybrid: weight of the (1 - SSIM) term
  // Test-time mirror: a crop whose own score reaches `mirror_above` scores the
  // mean of its own and its left-right mirror image's; a crop under it keeps its
  // own (so a frame of normal wells costs one pass, not two). The threshold is
  // chosen on scores made the same way, so this belongs to the file, not the runtime.
  bool mirror = false;
  double mirror_above = 0.0;  // 0: every crop

  nlohmann::json to_json() const;
  static ScoreConfig from_json(const nlohmann::json& j);  // throws std::invalid_argument
  static ScoreConfig from_name(const std::string& name);  // "mse", "l1", "hybrid", "probability"
};

std::string to_string(ScoreKind kind);
std::vector<std::string> score_names();

// Mean SSIM per sample of two batches [N, C, H, W] whose values lie in [-1, 1]
// (mapped to [0, 1] first): 11x11 Gaussian window, sigma 1.5, K1 = 0.01,
// K2 = 0.03, valid region only, averaged over channels. Returns [N].
torch::Tensor ssim(const torch::Tensor& x, const torch::Tensor& y);

// Scores of a batch: input and reconstruction [N, C, H, W] -> [N]; for
// Probability, `reconstruction` is the classifier's logits [N].
torch::Tensor score_batch(const torch::Tensor& input, const torch::Tensor& reconstruction,
                          const ScoreConfig& config);

}  // namespace wellmonitor
