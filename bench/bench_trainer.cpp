// Benchmark: training and evaluation throughput (crops/s) of the C++ model
// library beside the same work in Python (Debian's python3-torch), in the
// same run, for seed-ae (the reference) and the default model's architecture.
//
//   wellmonitor-bench-trainer [--seconds S] [--threads 1,2] [--python /usr/bin/python3]
#include "wellmonitor/architectures.h"
#include "wellmonitor/model_file.h"
#include "wellmonitor/version.h"

#include <CLI/CLI.hpp>
#include <fmt/core.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>

namespace {

using Clock = std::chrono::steady_clock;

struct Rates {
  double train = 0, eval = 0;
};

Rates measure_cpp(wellmonitor::AutoencoderImpl& net, int channels, int batch, double seconds) {
  auto x = torch::rand({2048, channels, 64, 64}) * 2 - 1;
  auto labels = (torch::arange(batch) % 2).to(torch::kFloat32);
  torch::optim::Adam opt(net.parameters(), torch::optim::AdamOptions(3e-4));
  net.train();
  auto step = [&](int64_t i) {
    const int64_t start = (i * batch) % 2048;
    auto xb = x.slice(0, start, std::min<int64_t>(start + batch, 2048));
    opt.zero_grad();
    auto out = net.forward(xb);
    // A classifier trains with binary cross-entropy on its logits, an autoencoder with MSE.
    auto loss = net.is_classifier() ? torch::binary_cross_entropy_with_logits(out, labels.slice(0, 0, xb.size(0)))
                                    : torch::mse_loss(out, xb);
    loss.backward();
    opt.step();
    return xb.size(0);
  };
  step(0);
  step(1);
  Rates r;
  int64_t n = 0, i = 0;
  auto t0 = Clock::now();
  while (std::chrono::duration<double>(Clock::now() - t0).count() < seconds) n += step(i++);
  r.train = n / std::chrono::duration<double>(Clock::now() - t0).count();
  net.eval();
  torch::InferenceMode guard;
  auto xb = x.slice(0, 0, 256);
  net.forward(xb);
  n = 0;
  t0 = Clock::now();
  while (std::chrono::duration<double>(Clock::now() - t0).count() < seconds) {
    net.forward(xb);
    n += 256;
  }
  r.eval = n / std::chrono::duration<double>(Clock::now() - t0).count();
  return r;
}

Rates measure_python(const std::string& python, const std::string& script, const std::string& arch, int channels,
                     int base, int latent, int threads, double seconds) {
  const std::string cmd = fmt::format("{} {} --arch {} --channels {} --base {} --latent {} --threads {} --seconds {}",
                                      python, script, arch, channels, base, latent, threads, seconds);
  std::unique_ptr<FILE, int (*)(FILE*)> p(popen(cmd.c_str(), "r"), pclose);
  if (!p) return {};
  std::string out;
  char buf[512];
  while (fgets(buf, sizeof buf, p.get())) out += buf;
  try {
    auto j = nlohmann::json::parse(out.substr(out.find('{')));
    return {j.at("train_crops_per_s").get<double>(), j.at("eval_crops_per_s").get<double>()};
  } catch (const std::exception&) {
    fmt::print(stderr, "python reference failed: {}\n", cmd);
    return {};
  }
}

std::string ratio(double a, double b) { return b > 0 ? fmt::format("{:.2f}x", a / b) : "n/a"; }

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Training and evaluation throughput of seed-ae and the default model, C++ beside Python"};
  double seconds = 3.0;
  std::vector<int> threads{1, 2};
  std::string python = "/usr/bin/python3";
  std::string script = std::string(WELLMONITOR_SOURCE_DIR) + "/bench/reference_models.py";
  std::string model_path = WELLMONITOR_SOURCE_MODEL;
  app.add_option("--seconds", seconds, "Seconds per measurement")->capture_default_str();
  app.add_option("--threads", threads, "Thread counts to measure")->delimiter(',')->capture_default_str();
  app.add_option("--python", python, "Python with torch for the reference")->capture_default_str();
  app.add_option("--model", model_path, "Model file whose architecture is 'default'")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  struct Config {
    std::string label, arch;
    int channels, base, latent;
  };
  std::vector<Config> configs{{"seed-ae (reference)", "seed-ae", 1, 16, 512}};
  if (std::filesystem::exists(model_path)) {
    auto meta = wellmonitor::read_model_metadata(model_path);
    const auto& p = meta["arch_params"];
    configs.push_back({"default (" + meta["arch"].get<std::string>() + ")", meta["arch"].get<std::string>(),
                       meta["preprocess"]["color"] == "rgb" ? 3 : 1, p.value("base", 16), p.value("latent", 64)});
  } else {
    configs.push_back({"compact-ae", "compact-ae", 1, 16, 64});
  }

  fmt::print("wellmonitor {} trainer benchmark: batch 128 training steps (Adam; MSE, or BCE for a classifier) and batch 256 forward passes, "
             "64x64 crops, {} s per cell; Python reference: {} with Debian's python3-torch\n\n",
             WELLMONITOR_VERSION, seconds, python);
  fmt::print("| {:<26} | {:>7} | {:>13} | {:>13} | {:>6} | {:>13} | {:>13} | {:>6} |\n", "model", "threads",
             "C++ train/s", "Python train/s", "ratio", "C++ eval/s", "Python eval/s", "ratio");
  fmt::print("|{:-<28}|{:->9}|{:->15}|{:->15}|{:->8}|{:->15}|{:->15}|{:->8}|\n", "", "", "", "", "", "", "", "");
  for (const auto& c : configs) {
    for (int t : threads) {
      torch::set_num_threads(t);
      torch::manual_seed(0);
      nlohmann::json params = c.arch == "seed-ae" ? nlohmann::json{{"latent", c.latent}}
                                                  : nlohmann::json{{"base", c.base}, {"latent", c.latent}};
      auto net = wellmonitor::make_autoencoder(c.arch, params, c.channels, 64, 64);
      const Rates cpp = measure_cpp(*net, c.channels, 128, seconds);
      const Rates py = measure_python(python, script, c.arch, c.channels, c.base, c.latent, t, seconds);
      fmt::print("| {:<26} | {:>7} | {:>13.0f} | {:>13.0f} | {:>6} | {:>13.0f} | {:>13.0f} | {:>6} |\n", c.label, t,
                 cpp.train, py.train, ratio(cpp.train, py.train), cpp.eval, py.eval, ratio(cpp.eval, py.eval));
      std::fflush(stdout);
    }
  }
  return 0;
}
