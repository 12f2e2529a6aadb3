#include "wellmonitor/scorer.h"

#include "wellmonitor/cpu_allocator.h"
#include "wellmonitor/crop_preprocessor.h"
#include "wellmonitor/detector.h"
#include "wellmonitor/device.h"
#include "wellmonitor/errors.h"
#include "wellmonitor/model_file.h"
#include "wellmonitor/preprocess.h"

#include <algorithm>
#include <chrono>
#include <thread>

namespace wellmonitor {

struct Scorer::Impl {
  Impl(ModelFile model, torch::Device device, long delay)
      : detector(std::move(model), device), preprocess(detector.model().preprocess), delay_us(delay) {}

  Detector detector;
  CropPreprocessor preprocess;  // keeps each well's resampling taps and scratch images
  ScorerInfo info;
  long delay_us = 0;
  torch::Tensor batch;  // [N, C, H, W] on the CPU, reused while N stays the same
};

namespace {

// The intra-op thread count that scores a batch fastest: one thread or every
// core, the best of three timed passes each after a warm-up pass.
int choose_threads(Detector& detector, int batch) {
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  if (cores == 1 || !detector.device().is_cpu()) return set_threads(cores);
  const PreprocessConfig& pc = detector.model().preprocess;
  const torch::Tensor x = torch::rand({std::max(1, batch), pc.channels(), pc.height, pc.width}) * 2 - 1;
  auto best_seconds = [&](int threads) {
    set_threads(threads);
    detector.score_tensor(x);
    double best = 1e30;
    for (int i = 0; i < 3; ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      detector.score_tensor(x);
      best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    return best;
  };
  const double one = best_seconds(1);
  const double all = best_seconds(cores);
  return set_threads(all < 0.8 * one ? cores : 1);
}

}  // namespace

Scorer::Scorer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Scorer::~Scorer() = default;

std::unique_ptr<Scorer> Scorer::open(const std::string& path, const ScorerOptions& options) {
  // LibTorch's working memory stays warm from frame to frame (cpu_allocator.h).
  install_caching_cpu_allocator();
  const torch::Device device = resolve_device(options.device, options.device_hint.empty() ? kElementDeviceHint : options.device_hint);  // DeviceError
  ModelFile file = load_model(path);                              // ModelFileError
  auto impl = std::make_unique<Impl>(std::move(file), device, options.delay_us);
  const int threads =
      options.threads > 0 ? set_threads(options.threads) : choose_threads(impl->detector, options.batch);
  const ModelFile& m = impl->detector.model();
  ScorerInfo& i = impl->info;
  i.path = path;
  i.arch = m.arch;
  i.input_width = m.preprocess.width;
  i.input_height = m.preprocess.height;
  i.color = to_string(m.preprocess.color);
  i.score = to_string(m.score.kind);
  if (m.score.mirror)
    i.score += m.score.mirror_above > 0
                   ? " (from " + message_number(m.score.mirror_above) + " on, the mean of the crop's and its mirror image's)"
                   : " (the mean of the crop's and its mirror image's)";
  i.threshold = m.threshold();
  i.calibration = m.calibration.method;
  i.calibration_tnr = m.calibration.tnr;
  i.calibration_tpr = m.calibration.tpr;
  i.loss = m.training.loss;
  i.trainer_version = m.provenance.trainer_version;
  i.date = m.provenance.date;
  i.device = describe_device(device);
  i.threads = threads;
  return std::unique_ptr<Scorer>(new Scorer(std::move(impl)));
}

void Scorer::score(const std::vector<cv::Mat>& crops, std::vector<double>& scores) {
  Impl& d = *impl_;
  if (d.delay_us > 0) std::this_thread::sleep_for(std::chrono::microseconds(d.delay_us));
  scores.resize(crops.size());
  if (crops.empty()) return;
  const PreprocessConfig& pc = d.detector.model().preprocess;
  const auto n = static_cast<int64_t>(crops.size());
  if (!d.batch.defined() || d.batch.size(0) != n)
    d.batch = torch::empty({n, pc.channels(), pc.height, pc.width}, torch::kFloat32);
  const int64_t stride = d.batch.size(1) * d.batch.size(2) * d.batch.size(3);
  float* base = d.batch.data_ptr<float>();
  for (size_t k = 0; k < crops.size(); ++k) d.preprocess.run(crops[k], base + static_cast<int64_t>(k) * stride);
  const torch::Tensor s = d.detector.score_tensor(d.batch).contiguous();
  const double* p = s.data_ptr<double>();
  for (size_t k = 0; k < crops.size(); ++k) scores[k] = p[k];
}

double Scorer::threshold() const { return impl_->info.threshold; }
const std::string& Scorer::device_name() const { return impl_->info.device; }
const ScorerInfo& Scorer::info() const { return impl_->info; }

}  // namespace wellmonitor
