// The plain recipe (PlainRecipe in commands.h), the one the shipped model is
// trained with: `crossval` trains it on the recorded days plus the other days'
// training folds, `train` on the recorded days alone.
#pragma once

#include "commands.h"
#include "wellmonitor/model_file.h"

#include <opencv2/core.hpp>
#include <torch/torch.h>

#include <string>
#include <vector>

namespace wellmonitor {

// Everything one training run of the recipe needs, preprocessed once.
struct RecipeData {
  torch::Tensor normal;  // recorded-day normals the recipe trains on
  torch::Tensor spills;  // recorded-day spills
  torch::Tensor od;      // all other-day crops ([0, C, H, W] when there are none)
  std::vector<int> od_label;
  // The same crops as images, for augmentations that work on pixels.
  std::vector<cv::Mat> normal_images, spill_images, od_images;
  // With --augment h264: copies of those images through a real H.264 stream, [copy][crop].
  std::vector<std::vector<cv::Mat>> normal_h264, spill_h264, od_h264;
};

// One model of the recipe: batches of r.batch_normal normals (the epoch's
// order over d.normal; a share r.od_normal_share drawn from the other-day
// crops od_train, when given) and r.batch_spill spills (a share drawn from
// them), jittered as r.augment says; Adam, binary cross-entropy, r.epochs
// epochs, no early stopping. The progress bar says `label` (none when quiet).
ModelFile train_plain_recipe(const PlainRecipe& r, const RecipeData& d, const std::vector<size_t>& od_train,
                             uint64_t seed, const torch::Device& device, const std::string& label, bool quiet);

}  // namespace wellmonitor
