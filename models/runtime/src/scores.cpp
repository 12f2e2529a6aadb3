#include "wellmonitor/scores.h"

#include "wellmonitor/errors.h"

#include <cmath>
#include <stdexcept>

namespace wellmonitor {

std::string to_string(ScoreKind kind) {
  switch (kind) {
    case ScoreKind::Mse: return "mse";
    case ScoreKind::L1: return "l1";
    case ScoreKind::Hybrid: return "hybrid";
    case ScoreKind::Probability: return "probability";
  }
  return "?";
}

std::vector<std::string> score_names() { return {"mse", "l1", "hybrid"}; }

ScoreConfig ScoreConfig::from_name(const std::string& name) {
  ScoreConfig c;
  if (name == "mse") c.kind = ScoreKind::Mse;
  else if (name == "l1") c.kind = ScoreKind::L1;
  else if (name == "hybrid") { c.kind = ScoreKind::Hybrid; c.a = 0.5; c.b = 0.5; }
  else if (name == "probability") c.kind = ScoreKind::Probability;
  else throw std::invalid_argument("unknown score '" + printable(name) + "' (known: mse, l1, hybrid)");
  return c;
}

nlohmann::json ScoreConfig::to_json() const {
  nlohmann::json j = {{"kind", to_string(kind)}};
  if (kind == ScoreKind::Hybrid) {
    j["a"] = a;
    j["b"] = b;
    j["ssim"] = {{"window", 11}, {"sigma", 1.5}, {"k1", 0.01}, {"k2", 0.03}};
  }
  if (mirror) {
    j["test_time"] = "mirror";
    j["mirror_above"] = mirror_above;
  }
  return j;
}

ScoreConfig ScoreConfig::from_json(const nlohmann::json& j) {
  ScoreConfig c = from_name(j.at("kind").get<std::string>());
  if (c.kind == ScoreKind::Hybrid) {
    c.a = j.value("a", c.a);
    c.b = j.value("b", c.b);
    // Negative weights would let a reconstruction score fall below 0.
    if (!std::isfinite(c.a) || !std::isfinite(c.b) || c.a < 0 || c.b < 0)
      throw std::invalid_argument("hybrid score weights a and b must be finite and >= 0");
  }
  if (j.contains("test_time")) {
    const auto& t = j["test_time"];
    if (!t.is_string() || (t.get<std::string>() != "mirror" && t.get<std::string>() != "none"))
      throw std::invalid_argument("score.test_time must be \"mirror\" or \"none\"");
    c.mirror = t.get<std::string>() == "mirror";
  }
  if (j.contains("mirror_above")) {
    const auto& g = j["mirror_above"];
    if (!g.is_number() || !std::isfinite(g.get<double>()) || g.get<double>() < 0)
      throw std::invalid_argument("score.mirror_above must be a number >= 0");
    c.mirror_above = g.get<double>();
  }
  return c;
}

namespace {

torch::Tensor gaussian_window(int size, double sigma, const torch::TensorOptions& opts) {
  auto coords = torch::arange(size, opts) - (size - 1) / 2.0;
  auto g = torch::exp(-(coords * coords) / (2.0 * sigma * sigma));
  g = g / g.sum();
  return g.unsqueeze(1).matmul(g.unsqueeze(0));  // [size, size]
}

}  // namespace

torch::Tensor ssim(const torch::Tensor& x_in, const torch::Tensor& y_in) {
  constexpr int kWindow = 11;
  constexpr double kSigma = 1.5, kC1 = 0.01 * 0.01, kC2 = 0.03 * 0.03;
  auto x = (x_in + 1.0) * 0.5;
  auto y = (y_in + 1.0) * 0.5;
  const int64_t c = x.size(1);
  int64_t win = std::min<int64_t>(kWindow, std::min(x.size(2), x.size(3)));
  if (win % 2 == 0) --win;
  auto w = gaussian_window(static_cast<int>(win), kSigma, x.options()).expand({c, 1, win, win}).contiguous();
  auto filt = [&](const torch::Tensor& t) {
    return torch::nn::functional::conv2d(t, w, torch::nn::functional::Conv2dFuncOptions().groups(c));
  };
  auto mu_x = filt(x);
  auto mu_y = filt(y);
  auto sxx = filt(x * x) - mu_x * mu_x;
  auto syy = filt(y * y) - mu_y * mu_y;
  auto sxy = filt(x * y) - mu_x * mu_y;
  auto map = ((2 * mu_x * mu_y + kC1) * (2 * sxy + kC2)) / ((mu_x * mu_x + mu_y * mu_y + kC1) * (sxx + syy + kC2));
  return map.flatten(1).mean(1);
}

torch::Tensor score_batch(const torch::Tensor& input, const torch::Tensor& reconstruction, const ScoreConfig& config) {
  if (config.kind == ScoreKind::Probability) {
    if (reconstruction.numel() != input.size(0))
      throw std::invalid_argument("score_batch: the probability score needs one logit per crop (a classifier's output)");
    return torch::sigmoid(reconstruction.reshape({-1}).to(torch::kFloat64));
  }
  if (input.sizes() != reconstruction.sizes())
    throw std::invalid_argument("score_batch: input and reconstruction shapes differ");
  auto diff = input - reconstruction;
  switch (config.kind) {
    case ScoreKind::Mse: return diff.pow(2).flatten(1).mean(1);
    case ScoreKind::L1: return diff.abs().flatten(1).mean(1);
    case ScoreKind::Probability: break;
    case ScoreKind::Hybrid:
      return config.a * diff.abs().flatten(1).mean(1) + config.b * (1.0 - ssim(input, reconstruction));
  }
  throw std::invalid_argument("score_batch: unknown score kind");
}

}  // namespace wellmonitor
