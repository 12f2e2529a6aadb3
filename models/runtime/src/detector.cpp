#include "wellmonitor/detector.h"

#include "wellmonitor/device.h"
#include "wellmonitor/torchscript.h"

namespace wellmonitor {

namespace {

// Converts the 4-d weights (convolutions) to channels-last.
void weights_channels_last(torch::nn::Module& net) {
  torch::NoGradGuard no_grad;
  for (auto& p : net.parameters())
    if (p.dim() == 4) p.set_data(p.contiguous(torch::MemoryFormat::ChannelsLast));
}

}  // namespace

Detector::Detector(ModelFile model, torch::Device device, InferenceOptions options)
    : model_(std::move(model)), device_(device), options_(options) {
  model_.network->to(device_);
  model_.network->eval();
  // A network of its own, so that model_ stays what the file holds.
  if (model_.arch == kTorchScriptArch) {
    net_ = model_.network;  // a script runs as exported
    options_ = InferenceOptions{false, false, false};
    return;
  }
  net_ = make_autoencoder(model_.arch, model_.arch_params, model_.preprocess.channels(), model_.preprocess.height,
                          model_.preprocess.width);
  net_->to(device_);
  copy_state(*model_.network, *net_);
  net_->eval();
  if (options_.fold_batchnorm) net_->fold_batchnorm();
  if (options_.channels_last) weights_channels_last(*net_);
  if (options_.inference_kernels) net_->use_inference_kernels();
}

torch::Tensor Detector::forward(const torch::Tensor& x) {
  if (options_.channels_last && x.dim() == 4) return net_->forward(x.contiguous(torch::MemoryFormat::ChannelsLast));
  return net_->forward(x);
}

Detector Detector::open(const std::string& path, const std::string& device_request) {
  const torch::Device device = resolve_device(device_request);
  return Detector(load_model(path), device);
}

torch::Tensor Detector::reconstruct(const torch::Tensor& batch) {
  torch::InferenceMode guard;
  return forward(batch.to(device_)).contiguous().to(torch::kCPU);
}

torch::Tensor Detector::score_tensor(const torch::Tensor& batch) {
  torch::InferenceMode guard;
  auto x = batch.to(device_);  // one copy per batch, never per crop
  if (!model_.score.mirror || x.size(0) == 0) {
    auto r = forward(x);
    return score_batch(x, r, model_.score).to(torch::kCPU, torch::kFloat64);
  }
  // Every crop once; those that reach mirror_above again as their mirror
  // images, and their score becomes the mean of the two.
  auto s = score_batch(x, forward(x), model_.score).to(torch::kFloat64);
  const auto again = (s >= model_.score.mirror_above).nonzero().reshape({-1});
  if (again.numel() > 0) {
    const auto m = x.index_select(0, again).flip({3});
    const auto sm = score_batch(m, forward(m), model_.score).to(torch::kFloat64);
    s.index_copy_(0, again, (s.index_select(0, again) + sm) * 0.5);
  }
  return s.to(torch::kCPU);
}

std::vector<double> Detector::score(const std::vector<cv::Mat>& crops) {
  if (crops.empty()) return {};
  auto s = score_tensor(preprocess_batch(crops, model_.preprocess)).contiguous();
  return std::vector<double>(s.data_ptr<double>(), s.data_ptr<double>() + s.numel());
}

std::vector<double> score_all(Detector& detector, const torch::Tensor& inputs, int64_t batch_size) {
  std::vector<double> out;
  out.reserve(static_cast<size_t>(inputs.size(0)));
  for (int64_t i = 0; i < inputs.size(0); i += batch_size) {
    auto s = detector.score_tensor(inputs.slice(0, i, std::min(i + batch_size, inputs.size(0)))).contiguous();
    out.insert(out.end(), s.data_ptr<double>(), s.data_ptr<double>() + s.numel());
  }
  return out;
}

std::vector<double> score_all(Detector& detector, const std::vector<cv::Mat>& crops, size_t batch_size) {
  std::vector<double> out;
  out.reserve(crops.size());
  for (size_t i = 0; i < crops.size(); i += batch_size) {
    const std::vector<cv::Mat> part(crops.begin() + static_cast<long>(i),
                                    crops.begin() + static_cast<long>(std::min(i + batch_size, crops.size())));
    const auto s = detector.score(part);
    out.insert(out.end(), s.begin(), s.end());
  }
  return out;
}

}  // namespace wellmonitor
