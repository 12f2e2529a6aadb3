// Autoencoder architectures. Every architecture maps a batch [N, C, H, W] in
// [-1, 1] to a reconstruction of the same shape.
#pragma once

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

namespace wellmonitor {

// Base of every architecture, so a model file can hold any of them. An
// autoencoder's forward pass returns the reconstruction; a classifier's
// (is_classifier() == true) returns one spill logit per crop, shape [N].
class AutoencoderImpl : public torch::nn::Module {
 public:
  virtual torch::Tensor forward(const torch::Tensor& x) = 0;
  virtual bool is_classifier() const { return false; }
  // Multiply-adds of one crop's forward pass (convolutions and linears).
  virtual int64_t multiply_adds() const = 0;
  // Folds every BatchNorm into the convolution (or transposed convolution)
  // before it and drops it: in eval mode the network computes the same
  // function, faster. For inference only: the parameters' names change, so a
  // folded network is never trained or saved.
  virtual void fold_batchnorm() = 0;
  // From now on, passes without autograd (inference and no-grad modes) use
  // the kernels of inference_ops.h where they apply; the same function, the
  // same floats. Training is not affected.
  virtual void use_inference_kernels() {}
};

// The reference autoencoder, layer for layer (arch id "seed-ae"):
// Conv 1->32->64->128 (k3 s2 p1, BatchNorm+ReLU each), Linear 8192->512,
// Linear 512->8192, ConvTranspose 128->64->32->C (k4 s2 p1, BatchNorm+ReLU
// between), Tanh.
struct SeedAEOptions {
  int channels = 1;  // input channels (1 = grey, 3 = colour)
  int height = 64;   // input height, divisible by 8
  int width = 64;    // input width, divisible by 8
  int latent = 512;  // bottleneck size
};

class SeedAEImpl : public AutoencoderImpl {
 public:
  explicit SeedAEImpl(const SeedAEOptions& options);
  torch::Tensor forward(const torch::Tensor& x) override;
  int64_t multiply_adds() const override;
  void fold_batchnorm() override;

 private:
  SeedAEOptions options_;
  torch::nn::Sequential encoder_{nullptr};
  torch::nn::Linear to_latent_{nullptr};
  torch::nn::Linear from_latent_{nullptr};
  torch::nn::Sequential decoder_{nullptr};
};
TORCH_MODULE(SeedAE);

// A compact autoencoder (arch id "compact-ae"): three stride-2 convs of
// base, 2*base, 4*base channels with BatchNorm+ReLU, a small fully connected
// bottleneck, and the mirrored transposed-conv decoder. With base=16 and
// latent=64 it has about 4.7x fewer multiply-adds than seed-ae (7.5 M against 35.4 M).
struct CompactAEOptions {
  int channels = 1;  // input channels
  int height = 64;   // input height, divisible by 8
  int width = 64;    // input width, divisible by 8
  int base = 16;     // channels of the first conv; doubles at each stride
  int latent = 64;   // bottleneck size
};

class CompactAEImpl : public AutoencoderImpl {
 public:
  explicit CompactAEImpl(const CompactAEOptions& options);
  torch::Tensor forward(const torch::Tensor& x) override;
  int64_t multiply_adds() const override;
  void fold_batchnorm() override;

 private:
  CompactAEOptions options_;
  torch::nn::Sequential encoder_{nullptr};
  torch::nn::Linear to_latent_{nullptr};
  torch::nn::Linear from_latent_{nullptr};
  torch::nn::Sequential decoder_{nullptr};
};
TORCH_MODULE(CompactAE);

// A small discriminative CNN (arch id "spill-cnn"): four 3x3 conv blocks of
// base, 2*base, 4*base, 4*base channels (BatchNorm+ReLU, 2x2 max-pooling after
// the first three), then global average and global max pooling (so a small
// local spill still counts) and a linear layer to one logit. Trained on
// normals (with shifts) against real and synthetic spills.
struct SpillCNNOptions {
  int channels = 3;  // input channels
  int height = 64;   // input height, divisible by 8
  int width = 64;    // input width, divisible by 8
  int base = 8;      // channels of the first conv
};

class SpillCNNImpl : public AutoencoderImpl {
 public:
  explicit SpillCNNImpl(const SpillCNNOptions& options);
  torch::Tensor forward(const torch::Tensor& x) override;
  bool is_classifier() const override { return true; }
  int64_t multiply_adds() const override;
  void fold_batchnorm() override;
  void use_inference_kernels() override;

 private:
  SpillCNNOptions options_;
  bool inference_kernels_ = false;
  torch::nn::Sequential features_{nullptr};
  torch::nn::Linear head_{nullptr};
};
TORCH_MODULE(SpillCNN);

// Names accepted by make_autoencoder().
std::vector<std::string> architecture_names();

// Builds an architecture by id. `params` holds the architecture's own options
// (missing keys take their defaults); channels/height/width come from the
// preprocessing. Returns the effective params in `resolved` when given.
// Throws std::invalid_argument for an unknown id or bad params.
std::shared_ptr<AutoencoderImpl> make_autoencoder(const std::string& arch, const nlohmann::json& params,
                                                  int channels, int height, int width,
                                                  nlohmann::json* resolved = nullptr);

// Number of trainable parameters.
int64_t parameter_count(torch::nn::Module& module);

// The number of trainable parameters make_autoencoder() would build for these
// arguments, worked out without building anything (a model file's tensor
// table is checked against it before the network is allocated). A double, as
// absurd params may ask for more than fits in 64 bits. Throws
// std::invalid_argument for an unknown id or params of the wrong JSON type.
double expected_parameter_count(const std::string& arch, const nlohmann::json& params, int channels, int height,
                                int width);

// Number of BatchNorm layers in `module` and its children.
int64_t batchnorm_count(const torch::nn::Module& module);

// Copies every parameter and buffer of `from` into the one of the same name in
// `to` (the same architecture with the same options). Throws
// std::invalid_argument when a name or a shape differs.
void copy_state(const torch::nn::Module& from, torch::nn::Module& to);

}  // namespace wellmonitor
