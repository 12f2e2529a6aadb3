#include "wellmonitor/torchscript.h"

#include "wellmonitor/model_file.h"

#include <torch/script.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;

namespace wellmonitor {

namespace {

constexpr const char* kPackedName = "wellmonitor.json";
constexpr uintmax_t kMaxFileBytes = uintmax_t{1} << 30;  // a TorchScript file of at most 1 GiB
constexpr uintmax_t kMaxSidecarBytes = uintmax_t{1} << 20;

// The TorchScript module as one of our networks: the Detector, the trainer and
// the element call it as they call any architecture.
class ScriptedNetworkImpl : public AutoencoderImpl {
 public:
  ScriptedNetworkImpl(torch::jit::Module module, bool classifier)
      : module_(std::move(module)), classifier_(classifier) {}

  torch::Tensor forward(const torch::Tensor& x) override {
    torch::Tensor y = module_.forward({x}).toTensor();
    return classifier_ ? y.reshape({-1}) : y;
  }
  bool is_classifier() const override { return classifier_; }
  int64_t multiply_adds() const override { return 0; }  // not known for a script
  void fold_batchnorm() override {}                     // the script runs as exported

  using AutoencoderImpl::to;
  void to(torch::Device device, bool non_blocking) override {
    module_.to(device, non_blocking);
    AutoencoderImpl::to(device, non_blocking);
  }
  void train(bool on) override {
    module_.train(on);
    AutoencoderImpl::train(on);
  }

 private:
  torch::jit::Module module_;
  bool classifier_;
};

std::string read_small(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

bool is_torchscript_file(const std::string& path) {
  // Only a regular file is opened to look: a FIFO would block, a device never end.
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return false;
  std::ifstream in(path, std::ios::binary);
  char magic[4] = {};
  return in.read(magic, 4) && magic[0] == 'P' && magic[1] == 'K' && magic[2] == 3 && magic[3] == 4;
}

ModelFile load_torchscript(const std::string& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) throw ModelFileError(path + ": cannot load model: not a regular file");
  if (fs::file_size(path, ec) > kMaxFileBytes) throw ModelFileError(path + ": cannot load model: larger than 1 GiB");

  torch::jit::ExtraFilesMap extra{{kPackedName, ""}};
  torch::jit::Module module;
  try {
    module = torch::jit::load(path, torch::kCPU, extra);
  } catch (const c10::Error& e) {
    std::string why = e.what_without_backtrace();
    why = why.substr(0, why.find('\n'));
    throw ModelFileError(path + ": not a TorchScript file LibTorch can load: " + why);
  }

  // The JSON: a sidecar beside the file, else the packed copy.
  std::string text, origin;
  for (const fs::path& side : {fs::path(path + ".json"), fs::path(path).replace_extension(".json")}) {
    if (side == fs::path(path) || !fs::is_regular_file(side, ec)) continue;
    if (fs::file_size(side, ec) > kMaxSidecarBytes) throw ModelFileError(side.string() + ": larger than 1 MiB");
    text = read_small(side);
    origin = side.string();
    break;
  }
  if (origin.empty() && !extra[kPackedName].empty()) {
    text = extra[kPackedName];
    origin = path + " (packed " + kPackedName + ")";
  }
  if (origin.empty())
    throw ModelFileError(path + ": a TorchScript model needs its preprocessing, score and threshold: pack " +
                         kPackedName + " into it or put " + path + ".json beside it");

  ModelFile model;
  model.arch = kTorchScriptArch;
  try {
    const nlohmann::json j = nlohmann::json::parse(text);
    if (!j.is_object()) throw std::invalid_argument("not a JSON object");
    if (!j.contains("preprocess")) throw std::invalid_argument("no \"preprocess\"");
    if (!j.contains("score")) throw std::invalid_argument("no \"score\"");
    if (!j.contains("threshold") || !j["threshold"].is_number()) throw std::invalid_argument("no numeric \"threshold\"");
    model.preprocess = PreprocessConfig::from_json(j["preprocess"]);
    model.score = j["score"].is_string() ? ScoreConfig::from_name(j["score"].get<std::string>())
                                         : ScoreConfig::from_json(j["score"]);
    model.calibration.threshold = j["threshold"].get<double>();
    model.calibration.method = j.value("method", std::string("torchscript"));
    const double t = model.calibration.threshold;
    if (!std::isfinite(t)) throw std::invalid_argument("threshold is not a finite number");
    if (model.score.kind == ScoreKind::Probability && (t < 0 || t > 1))
      throw std::invalid_argument("threshold lies outside [0, 1], the range of a probability score");
    if (t < 0) throw std::invalid_argument("threshold is negative");
    nlohmann::json prov = {{"torchscript", path}, {"metadata", origin}};
    if (j.contains("provenance") && j["provenance"].is_object()) prov.update(j["provenance"]);
    model.provenance = ProvenanceRecord::from_json(prov);
  } catch (const nlohmann::json::exception& e) {
    throw ModelFileError(origin + ": bad JSON: " + std::string(e.what()).substr(std::string(e.what()).find(' ') + 1));
  } catch (const std::exception& e) {
    throw ModelFileError(origin + ": " + e.what());
  }

  const bool classifier = model.score.kind == ScoreKind::Probability;
  auto net = std::make_shared<ScriptedNetworkImpl>(std::move(module), classifier);
  net->eval();
  // A test batch: the output must be what the score reads.
  const auto& pc = model.preprocess;
  try {
    torch::InferenceMode guard;
    const auto out = net->forward(torch::zeros({2, pc.channels(), pc.height, pc.width}));
    const std::vector<int64_t> want =
        classifier ? std::vector<int64_t>{2} : std::vector<int64_t>{2, pc.channels(), pc.height, pc.width};
    if (out.sizes().vec() != want) {
      std::ostringstream s;
      s << "the network returns " << out.sizes() << " for a batch [2, " << pc.channels() << ", " << pc.height << ", "
        << pc.width << "]; a " << to_string(model.score.kind) << " score needs "
        << (classifier ? "one logit per crop" : "a reconstruction of the input's shape");
      throw ModelFileError(path + ": " + s.str());
    }
  } catch (const c10::Error& e) {
    std::string why = e.what_without_backtrace();
    why = why.substr(0, why.find('\n'));
    throw ModelFileError(path + ": the network fails on a [2, " + std::to_string(pc.channels()) + ", " +
                         std::to_string(pc.height) + ", " + std::to_string(pc.width) + "] batch: " + why);
  }
  model.network = net;
  return model;
}

}  // namespace wellmonitor
