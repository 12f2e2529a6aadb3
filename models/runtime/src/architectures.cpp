#include "wellmonitor/architectures.h"

#include "wellmonitor/errors.h"
#include "wellmonitor/inference_ops.h"

#include <stdexcept>

namespace wellmonitor {

namespace nn = torch::nn;

namespace {

nn::Sequential conv_bn_relu(nn::Sequential seq, int in, int out) {
  seq->push_back(nn::Conv2d(nn::Conv2dOptions(in, out, 3).stride(2).padding(1)));
  seq->push_back(nn::BatchNorm2d(out));
  seq->push_back(nn::ReLU());
  return seq;
}

nn::Sequential deconv(nn::Sequential seq, int in, int out, bool bn_relu) {
  seq->push_back(nn::ConvTranspose2d(nn::ConvTranspose2dOptions(in, out, 4).stride(2).padding(1)));
  if (bn_relu) {
    seq->push_back(nn::BatchNorm2d(out));
    seq->push_back(nn::ReLU());
  }
  return seq;
}

// Scales a (transposed) convolution so that it also does the BatchNorm after
// it, in eval mode: y = (conv(x) - mean) * gamma / sqrt(var + eps) + beta.
// `out_dim` is the weight's output-channel dimension (0 for Conv2d, 1 for
// ConvTranspose2d).
void fold_into(torch::Tensor& weight, torch::Tensor& bias, const nn::BatchNorm2dImpl& bn, int64_t out_dim) {
  torch::NoGradGuard no_grad;
  const auto scale = bn.weight / torch::sqrt(bn.running_var + bn.options.eps());
  std::vector<int64_t> shape(static_cast<size_t>(weight.dim()), 1);
  shape[static_cast<size_t>(out_dim)] = -1;
  weight.mul_(scale.view(shape));
  const auto b = bias.defined() ? bias : torch::zeros_like(bn.running_mean);
  bias.copy_((b - bn.running_mean) * scale + bn.bias);
}

// `seq` without its BatchNorms, each folded into the convolution before it.
nn::Sequential fold_sequential(const nn::Sequential& seq) {
  nn::Sequential out;
  const size_t n = seq->size();
  for (size_t i = 0; i < n; ++i) {
    auto bn = i + 1 < n ? std::dynamic_pointer_cast<nn::BatchNorm2dImpl>(seq->ptr(i + 1)) : nullptr;
    if (bn) {
      if (auto conv = std::dynamic_pointer_cast<nn::Conv2dImpl>(seq->ptr(i))) {
        if (!conv->bias.defined()) throw std::invalid_argument("fold_batchnorm: convolution without bias");
        fold_into(conv->weight, conv->bias, *bn, 0);
        out->push_back(nn::Conv2d(conv));
        ++i;
        continue;
      }
      if (auto deconv = std::dynamic_pointer_cast<nn::ConvTranspose2dImpl>(seq->ptr(i))) {
        if (!deconv->bias.defined()) throw std::invalid_argument("fold_batchnorm: convolution without bias");
        fold_into(deconv->weight, deconv->bias, *bn, 1);
        out->push_back(nn::ConvTranspose2d(deconv));
        ++i;
        continue;
      }
    }
    out->push_back(*(seq->begin() + static_cast<std::ptrdiff_t>(i)));
  }
  return out;
}

void check_dims(int channels, int height, int width) {
  if (channels != 1 && channels != 3) throw std::invalid_argument("channels must be 1 or 3");
  if (height % 8 != 0 || width % 8 != 0 || height < 8 || width < 8)
    throw std::invalid_argument("input height and width must be positive multiples of 8");
}

}  // namespace

SeedAEImpl::SeedAEImpl(const SeedAEOptions& o) : options_(o) {
  check_dims(o.channels, o.height, o.width);
  if (o.latent < 1 || o.latent > 8192) throw std::invalid_argument("seed-ae: latent must be 1..8192");
  const int flat = 128 * (o.height / 8) * (o.width / 8);
  nn::Sequential enc;
  conv_bn_relu(enc, o.channels, 32);
  conv_bn_relu(enc, 32, 64);
  conv_bn_relu(enc, 64, 128);
  encoder_ = register_module("encoder", enc);
  to_latent_ = register_module("to_latent", nn::Linear(flat, o.latent));
  from_latent_ = register_module("from_latent", nn::Linear(o.latent, flat));
  nn::Sequential dec;
  deconv(dec, 128, 64, true);
  deconv(dec, 64, 32, true);
  deconv(dec, 32, o.channels, false);
  dec->push_back(nn::Tanh());
  decoder_ = register_module("decoder", dec);
}

torch::Tensor SeedAEImpl::forward(const torch::Tensor& x) {
  auto h = encoder_->forward(x).flatten(1);
  auto z = to_latent_->forward(h);
  auto y = from_latent_->forward(z).view({-1, 128, options_.height / 8, options_.width / 8});
  return decoder_->forward(y);
}

void SeedAEImpl::fold_batchnorm() {
  encoder_ = replace_module("encoder", fold_sequential(encoder_));
  decoder_ = replace_module("decoder", fold_sequential(decoder_));
}

CompactAEImpl::CompactAEImpl(const CompactAEOptions& o) : options_(o) {
  check_dims(o.channels, o.height, o.width);
  if (o.base < 1 || o.base > 256 || o.latent < 1 || o.latent > 8192)
    throw std::invalid_argument("compact-ae: base must be 1..256 and latent 1..8192");
  const int b = o.base;
  const int flat = 4 * b * (o.height / 8) * (o.width / 8);
  nn::Sequential enc;
  conv_bn_relu(enc, o.channels, b);
  conv_bn_relu(enc, b, 2 * b);
  conv_bn_relu(enc, 2 * b, 4 * b);
  encoder_ = register_module("encoder", enc);
  to_latent_ = register_module("to_latent", nn::Linear(flat, o.latent));
  from_latent_ = register_module("from_latent", nn::Linear(o.latent, flat));
  nn::Sequential dec;
  deconv(dec, 4 * b, 2 * b, true);
  deconv(dec, 2 * b, b, true);
  deconv(dec, b, o.channels, false);
  dec->push_back(nn::Tanh());
  decoder_ = register_module("decoder", dec);
}

torch::Tensor CompactAEImpl::forward(const torch::Tensor& x) {
  auto h = encoder_->forward(x).flatten(1);
  auto z = torch::relu(to_latent_->forward(h));
  auto y = from_latent_->forward(z).view({-1, 4 * options_.base, options_.height / 8, options_.width / 8});
  return decoder_->forward(y);
}

void CompactAEImpl::fold_batchnorm() {
  encoder_ = replace_module("encoder", fold_sequential(encoder_));
  decoder_ = replace_module("decoder", fold_sequential(decoder_));
}

SpillCNNImpl::SpillCNNImpl(const SpillCNNOptions& o) : options_(o) {
  check_dims(o.channels, o.height, o.width);
  if (o.base < 1 || o.base > 128) throw std::invalid_argument("spill-cnn: base must be 1..128");
  const int b = o.base;
  nn::Sequential f;
  const int chans[5] = {o.channels, b, 2 * b, 4 * b, 4 * b};
  for (int i = 0; i < 4; ++i) {
    f->push_back(nn::Conv2d(nn::Conv2dOptions(chans[i], chans[i + 1], 3).padding(1)));
    f->push_back(nn::BatchNorm2d(chans[i + 1]));
    f->push_back(nn::ReLU());
    if (i < 3) f->push_back(nn::MaxPool2d(nn::MaxPool2dOptions(2)));
  }
  features_ = register_module("features", f);
  head_ = register_module("head", nn::Linear(8 * b, 1));
}

torch::Tensor SpillCNNImpl::forward(const torch::Tensor& x) {
  torch::Tensor h;
  if (inference_kernels_ && !torch::GradMode::is_enabled()) {
    // ReLU then 2x2 max-pooling in one pass (max_pool2_relu); the rest as the modules do it
    h = x;
    const size_t n = features_->size();
    for (size_t i = 0; i < n; ++i) {
      if (i + 2 < n && features_->ptr(i + 1)->as<nn::ReLU>() && features_->ptr(i + 2)->as<nn::MaxPool2d>()) {
        h = max_pool2_relu((features_->begin() + static_cast<long>(i))->forward(h));
        i += 2;
      } else {
        h = (features_->begin() + static_cast<long>(i))->forward(h);
      }
    }
  } else {
    h = features_->forward(x);
  }
  auto pooled = torch::cat({h.mean({2, 3}), std::get<0>(h.flatten(2).max(2))}, 1);
  return head_->forward(pooled).view({-1});
}

void SpillCNNImpl::fold_batchnorm() { features_ = replace_module("features", fold_sequential(features_)); }

// Every MaxPool2d here is 2x2, stride 2, no padding: what max_pool2_relu does.
void SpillCNNImpl::use_inference_kernels() { inference_kernels_ = true; }

int64_t SpillCNNImpl::multiply_adds() const {
  const int64_t b = options_.base, c = options_.channels, p = static_cast<int64_t>(options_.height) * options_.width;
  return p * b * c * 9 + (p / 4) * 2 * b * b * 9 + (p / 16) * 4 * b * 2 * b * 9 + (p / 64) * 4 * b * 4 * b * 9 + 8 * b;
}

std::vector<std::string> architecture_names() { return {"seed-ae", "compact-ae", "spill-cnn"}; }

namespace {
template <typename T>
T param_or(const nlohmann::json& p, const char* key, T fallback) {
  return p.contains(key) ? p.at(key).get<T>() : fallback;
}
}  // namespace

std::shared_ptr<AutoencoderImpl> make_autoencoder(const std::string& arch, const nlohmann::json& params,
                                                  int channels, int height, int width,
                                                  nlohmann::json* resolved) {
  const nlohmann::json p = params.is_object() ? params : nlohmann::json::object();
  try {
    if (arch == "seed-ae") {
      SeedAEOptions o;
      o.channels = channels;
      o.height = height;
      o.width = width;
      o.latent = param_or(p, "latent", o.latent);
      if (resolved) *resolved = {{"latent", o.latent}};
      return std::make_shared<SeedAEImpl>(o);
    }
    if (arch == "compact-ae") {
      CompactAEOptions o;
      o.channels = channels;
      o.height = height;
      o.width = width;
      o.base = param_or(p, "base", o.base);
      o.latent = param_or(p, "latent", o.latent);
      if (resolved) *resolved = {{"base", o.base}, {"latent", o.latent}};
      return std::make_shared<CompactAEImpl>(o);
    }
    if (arch == "spill-cnn") {
      SpillCNNOptions o;
      o.channels = channels;
      o.height = height;
      o.width = width;
      o.base = param_or(p, "base", o.base);
      if (resolved) *resolved = {{"base", o.base}};
      return std::make_shared<SpillCNNImpl>(o);
    }
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument("bad parameters for architecture '" + printable(arch) + "': " + e.what());
  }
  std::string known;
  for (const auto& n : architecture_names()) known += (known.empty() ? "" : ", ") + n;
  throw std::invalid_argument("unknown architecture '" + printable(arch) + "' (known: " + known + ")");
}

double expected_parameter_count(const std::string& arch, const nlohmann::json& params, int channels, int height,
                                int width) {
  const nlohmann::json p = params.is_object() ? params : nlohmann::json::object();
  // Weights and biases (BatchNorm: weight and bias) of each layer kind above.
  auto conv_bn = [](double in, double out) { return in * out * 9 + out + 2 * out; };
  auto deconv_params = [](double in, double out, bool bn) { return in * out * 16 + out + (bn ? 2 * out : 0); };
  auto linear = [](double in, double out) { return in * out + out; };
  const double c = channels, cells = static_cast<double>(height / 8) * static_cast<double>(width / 8);
  try {
    if (arch == "seed-ae" || arch == "compact-ae") {
      const bool seed = arch == "seed-ae";
      const double b = seed ? 32 : param_or(p, "base", CompactAEOptions{}.base);
      const double latent = seed ? param_or(p, "latent", SeedAEOptions{}.latent) : param_or(p, "latent", CompactAEOptions{}.latent);
      const double flat = 4 * b * cells;
      return conv_bn(c, b) + conv_bn(b, 2 * b) + conv_bn(2 * b, 4 * b) + linear(flat, latent) + linear(latent, flat) +
             deconv_params(4 * b, 2 * b, true) + deconv_params(2 * b, b, true) + deconv_params(b, c, false);
    }
    if (arch == "spill-cnn") {
      const double b = param_or(p, "base", SpillCNNOptions{}.base);
      return conv_bn(c, b) + conv_bn(b, 2 * b) + conv_bn(2 * b, 4 * b) + conv_bn(4 * b, 4 * b) + linear(8 * b, 1);
    }
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument("bad parameters for architecture '" + printable(arch) + "': " + e.what());
  }
  std::string known;
  for (const auto& n : architecture_names()) known += (known.empty() ? "" : ", ") + n;
  throw std::invalid_argument("unknown architecture '" + printable(arch) + "' (known: " + known + ")");
}

int64_t parameter_count(torch::nn::Module& module) {
  int64_t n = 0;
  for (const auto& p : module.parameters()) n += p.numel();
  return n;
}

int64_t batchnorm_count(const torch::nn::Module& module) {
  int64_t n = 0;
  for (const auto& m : module.modules(/*include_self=*/false))
    if (std::dynamic_pointer_cast<nn::BatchNorm2dImpl>(m)) ++n;
  return n;
}

void copy_state(const torch::nn::Module& from, torch::nn::Module& to) {
  torch::NoGradGuard no_grad;
  auto params = to.named_parameters(true);
  auto buffers = to.named_buffers(true);
  size_t copied = 0;
  for (const auto& p : from.named_parameters(true)) {
    auto* dst = params.find(p.key());
    if (!dst || !dst->sizes().equals(p.value().sizes()))
      throw std::invalid_argument("copy_state: no parameter '" + p.key() + "' of that shape");
    dst->copy_(p.value());
    ++copied;
  }
  for (const auto& b : from.named_buffers(true)) {
    auto* dst = buffers.find(b.key());
    if (!dst || !dst->sizes().equals(b.value().sizes()))
      throw std::invalid_argument("copy_state: no buffer '" + b.key() + "' of that shape");
    dst->copy_(b.value());
    ++copied;
  }
  if (copied != params.size() + buffers.size()) throw std::invalid_argument("copy_state: tensors left uncopied");
}

namespace {
// Multiply-adds of the shared conv -> linear bottleneck -> deconv layout.
int64_t conv_ae_macs(int64_t c, int64_t h, int64_t w, int64_t c1, int64_t c2, int64_t c3, int64_t latent) {
  const int64_t p2 = (h / 2) * (w / 2), p4 = (h / 4) * (w / 4), p8 = (h / 8) * (w / 8);
  const int64_t enc = p2 * c1 * c * 9 + p4 * c2 * c1 * 9 + p8 * c3 * c2 * 9;
  const int64_t fc = 2 * p8 * c3 * latent;
  const int64_t dec = p8 * c3 * c2 * 16 + p4 * c2 * c1 * 16 + p2 * c1 * c * 16;  // each input pixel scatters k*k
  return enc + fc + dec;
}
}  // namespace

int64_t SeedAEImpl::multiply_adds() const {
  return conv_ae_macs(options_.channels, options_.height, options_.width, 32, 64, 128, options_.latent);
}

int64_t CompactAEImpl::multiply_adds() const {
  const int b = options_.base;
  return conv_ae_macs(options_.channels, options_.height, options_.width, b, 2 * b, 4 * b, options_.latent);
}

}  // namespace wellmonitor
