// Training an autoencoder on normal crops only.
#pragma once

#include "wellmonitor/architectures.h"

#include <torch/torch.h>

#include <functional>
#include <string>
#include <vector>

namespace wellmonitor {

// The largest checkpoint --resume reads (weights, Adam's state and the best
// weights: about four times the model).
constexpr uint64_t kMaxCheckpointBytes = 1ull << 30;  // 1 GiB

struct TrainOptions {
  int epochs = 60;           // upper bound; early stopping usually ends sooner
  int batch_size = 128;      // the reference's batch size
  double learning_rate = 3e-4;  // Adam, as in the reference
  int patience = 8;          // epochs without a better validation loss before stopping (0 = never stop early)
  double min_delta = 0.0;    // a validation loss must improve by more than this to count
  uint64_t seed = 1;         // weight init and shuffling; the same seed reproduces a run
  // Written after every epoch when not empty: LibTorch's archive and its
  // SHA-256, so that a damaged checkpoint is refused rather than resumed.
  std::string checkpoint;
  bool resume = false;       // continue from `checkpoint` when it exists
  std::string fingerprint;   // identifies data + settings; a checkpoint of another run is refused

  // Called after every batch (epoch from 1, batches done in this epoch, batches per epoch, running loss).
  std::function<void(int, int64_t, int64_t, double)> on_batch;
  // Called after every epoch (epoch from 1, training loss, validation loss, improved).
  std::function<void(int, double, double, bool)> on_epoch;
  // Optional augmentation: gets a training batch, the batch's row indices into
  // the training set and a seed that depends only on (seed, epoch, batch);
  // returns the batch to train on.
  std::function<torch::Tensor(const torch::Tensor&, const torch::Tensor&, uint64_t)> augment;
};

struct TrainResult {
  int epochs_run = 0;     // epochs completed, counting resumed ones
  int best_epoch = 0;     // the weights kept are this epoch's
  double best_val_loss = 0.0;
  std::vector<double> train_loss, val_loss;
  double seconds = 0.0;   // this process's training time
  double crops_per_second = 0.0;  // training throughput (forward + backward + step)
  bool stopped_early = false;
  int resumed_from = 0;   // epoch the run resumed after (0 = fresh)
};

// Trains `net` to reconstruct its inputs (MSE), keeps the weights of the best
// validation epoch. `train` and `val` are preprocessed [N, C, H, W] CPU tensors.
TrainResult train_autoencoder(AutoencoderImpl& net, const torch::Tensor& train, const torch::Tensor& val,
                              const TrainOptions& options, const torch::Device& device);

// Trains a classifier (a network whose forward pass returns one logit per
// crop) with binary cross-entropy. `make_batch` turns a batch of indices
// 0..n-1 and a batch seed into inputs [B, C, H, W] and labels [B] (1 = spill),
// e.g. normals with synthetic spills pasted into some of them. Early stopping
// on the loss over (val_x, val_y).
using LabelledBatch = std::function<std::pair<torch::Tensor, torch::Tensor>(const torch::Tensor&, uint64_t)>;
TrainResult train_classifier(AutoencoderImpl& net, int64_t n, const LabelledBatch& make_batch,
                             const torch::Tensor& val_x, const torch::Tensor& val_y, const TrainOptions& options,
                             const torch::Device& device);

// The loop both share: `batch_loss` gives the loss of one batch of indices
// (and the batch's crop count); `validation_loss` (optional) is evaluated
// after each epoch for early stopping. Checkpoints and resumes as described
// in TrainOptions; keeps the best validation epoch's weights. Throws
// std::runtime_error when a batch or validation loss is NaN or infinite (a
// diverging run), before that epoch's checkpoint is written, so the last good
// checkpoint stays.
// The LibTorch archive inside the checkpoint `path`, its checksum checked.
// Throws std::runtime_error, one line naming the file, when it cannot be read,
// has no checksum or the checksum does not match (a damaged file).
std::string read_checkpoint(const std::string& path);

using BatchLoss = std::function<std::pair<torch::Tensor, int64_t>(const torch::Tensor&, uint64_t)>;
TrainResult train_loop(torch::nn::Module& net, int64_t n, const BatchLoss& batch_loss,
                       const std::function<double()>& validation_loss, const TrainOptions& options,
                       const torch::Device& device);

// Light training-time jitter on a preprocessed batch [N, C, H, W] (values in
// [-1, 1]), the only augmentation of the plain recipe: with `flip` each crop is
// mirrored left-right with probability 1/2; with `light` its contrast is scaled
// about its own mean by 0.8-1.2 and its brightness moved by up to +-0.1 (about
// +-13 grey levels), clipped to [-1, 1]. Deterministic for a given seed.
torch::Tensor flip_and_light(const torch::Tensor& batch, uint64_t seed, bool flip, bool light);

// Mean MSE reconstruction loss over a set, in eval mode.
double reconstruction_loss(AutoencoderImpl& net, const torch::Tensor& data, const torch::Device& device,
                           int64_t batch_size = 256);

}  // namespace wellmonitor
