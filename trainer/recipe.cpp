// The plain recipe: see recipe.h.
#include "recipe.h"

#include "common.h"
#include "progress.h"
#include "wellmonitor/augment.h"
#include "wellmonitor/training.h"

#include <ATen/CPUGeneratorImpl.h>
#include <fmt/core.h>

#include <cmath>

namespace wellmonitor {

ModelFile train_plain_recipe(const PlainRecipe& c, const RecipeData& d, const std::vector<size_t>& od_train,
                             uint64_t seed, const torch::Device& device, const std::string& label, bool quiet) {
  ModelFile model;
  model.arch = c.arch;
  model.arch_params = parse_arch_params(c.arch_params);
  model.preprocess = parse_preprocess(c.color, c.size);
  model.score = ScoreConfig::from_name("probability");
  torch::manual_seed(seed);
  model.build_network();

  std::vector<int64_t> odn, ods;
  for (size_t i : od_train) (d.od_label[i] ? ods : odn).push_back(static_cast<int64_t>(i));
  const int own_normals = odn.empty()
                              ? c.batch_normal
                              : std::max(1, static_cast<int>(std::lround(c.batch_normal * (1.0 - c.od_normal_share))));
  const int own_spills =
      ods.empty() ? c.batch_spill : static_cast<int>(std::lround(c.batch_spill * (1.0 - c.od_spill_share)));
  const bool flip = c.augment.find("flip") != std::string::npos;
  const bool light = c.augment.find("light") != std::string::npos;
  const auto odn_t = torch::tensor(odn.empty() ? std::vector<int64_t>{0} : odn, torch::kInt64);
  const auto ods_t = torch::tensor(ods.empty() ? std::vector<int64_t>{0} : ods, torch::kInt64);

  const bool video = c.augment.find("video") != std::string::npos;
  const bool h264 = !d.normal_h264.empty();
  const bool matrix = c.augment.find("matrix") != std::string::npos;
  const LabelledBatch make_batch = [&](const torch::Tensor& idx, uint64_t bseed) {
    torch::Generator gen = at::detail::createCPUGenerator(bseed);
    // Rows of each source: recorded-day normals (the epoch's order), other-day
    // normals, recorded-day spills, other-day spills (drawn with replacement).
    const int64_t more_normals = odn.empty() ? 0 : c.batch_normal - own_normals;
    const int64_t more_spills = ods.empty() ? 0 : c.batch_spill - own_spills;
    auto draw = [&](const torch::Tensor& pool, int64_t size, int64_t k) {
      return k > 0 ? pool.index_select(0, torch::randint(size, {k}, gen)) : torch::empty({0}, torch::kInt64);
    };
    const torch::Tensor rows_odn = draw(odn_t, static_cast<int64_t>(odn.size()), more_normals);
    const torch::Tensor rows_s =
        own_spills > 0 ? torch::randint(d.spills.size(0), {own_spills}, gen) : torch::empty({0}, torch::kInt64);
    const torch::Tensor rows_ods = draw(ods_t, static_cast<int64_t>(ods.size()), more_spills);
    const int64_t n_normal = idx.size(0) + more_normals;
    torch::Tensor x;
    if (!video && !h264 && !matrix) {
      x = torch::cat({d.normal.index_select(0, idx), d.od.index_select(0, rows_odn), d.spills.index_select(0, rows_s),
                      d.od.index_select(0, rows_ods)});
    } else {
      // Half of the crops go through what a video does to a well first.
      Rng rng(bseed ^ 0x5851f42d4c957f2dULL);
      std::bernoulli_distribution take(0.5);
      std::vector<cv::Mat> v;
      auto add = [&](const std::vector<cv::Mat>& images, const std::vector<std::vector<cv::Mat>>& copies,
                     const torch::Tensor& rows) {
        const auto r = rows.contiguous();
        for (int64_t k = 0; k < r.numel(); ++k) {
          const size_t i = static_cast<size_t>(r.data_ptr<int64_t>()[k]);
          const cv::Mat& m = images[i];
          if (!h264 && !video) {
            v.push_back(m);
          } else if (!h264) {
            v.push_back(take(rng) ? video_like(m, rng) : m);
          } else if (!take(rng)) {
            v.push_back(m);
          } else if (video && take(rng)) {
            v.push_back(video_like(m, rng));
          } else {
            const int c = std::uniform_int_distribution<int>(0, static_cast<int>(copies.size()) - 1)(rng);
            v.push_back(copies[static_cast<size_t>(c)][i]);
          }
          // A quarter of the crops read with the other colour matrix.
          if (matrix && take(rng) && take(rng)) v.back() = misread_colour_matrix(v.back(), take(rng));
        }
      };
      add(d.normal_images, d.normal_h264, idx);
      add(d.od_images, d.od_h264, rows_odn);
      add(d.spill_images, d.spill_h264, rows_s);
      add(d.od_images, d.od_h264, rows_ods);
      x = preprocess_batch(v, model.preprocess);
    }
    x = flip_and_light(x, bseed ^ 0x9e3779b97f4a7c15ULL, flip, light);
    auto y = torch::cat({torch::zeros({n_normal}), torch::ones({x.size(0) - n_normal})});
    return std::make_pair(x, y);
  };

  TrainOptions to;
  to.epochs = c.epochs;
  to.batch_size = own_normals;
  to.learning_rate = c.learning_rate;
  to.patience = 0;
  to.seed = seed;
  std::unique_ptr<Progress> bar;
  to.on_batch = [&](int epoch, int64_t b, int64_t nb, double loss) {
    if (!bar)
      bar = std::make_unique<Progress>(fmt::format("{} epoch {}/{}", label, epoch, c.epochs), nb, !quiet);
    bar->update(b, fmt::format("loss {:.4f}", loss));
  };
  to.on_epoch = [&](int, double tl, double, bool) {
    if (bar) bar->finish(fmt::format("loss {:.4f}", tl));
    bar.reset();
  };
  const auto& pc = model.preprocess;
  const auto empty = torch::empty({0, pc.channels(), pc.height, pc.width});
  const TrainResult tr =
      train_classifier(*model.network, d.normal.size(0), make_batch, empty, torch::empty({0}), to, device);
  model.training = TrainingRecord::from_json({{"recipe", "plain"},
                    {"epochs", tr.epochs_run},
                    {"batch_normals", c.batch_normal},
                    {"batch_spills", c.batch_spill},
                    {"otherdays_normal_share", odn.empty() ? 0.0 : c.od_normal_share},
                    {"otherdays_spill_share", ods.empty() ? 0.0 : c.od_spill_share},
                    {"learning_rate", c.learning_rate},
                    {"optimizer", "adam"},
                    {"loss", "binary-cross-entropy"},
                    {"augment", c.augment},
                    {"shifts", "none"},
                    {"synthetic", "none"},
                    {"seed", seed},
                    {"train_loss", tr.train_loss},
                    {"crops_per_second", tr.crops_per_second}});
  if (h264) model.training.extra["h264_copies"] = d.normal_h264.size();
  return model;
}

}  // namespace wellmonitor
