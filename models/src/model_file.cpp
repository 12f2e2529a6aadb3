#include "wellmonitor/model_file.h"

#include "wellmonitor/dataset.h"
#include "wellmonitor/errors.h"

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

namespace wellmonitor {

namespace {

constexpr char kMagic[8] = {'W', 'E', 'L', 'L', 'M', 'O', 'N', '\0'};
constexpr uint64_t kMaxMetadata = 64ull << 20;
constexpr uint64_t kHeaderSize = 24;  // magic, version, reserved, metadata length
constexpr uint64_t kFooterSize = 64;  // hex SHA-256 of everything before it

std::string dtype_name(const torch::Tensor& t) {
  if (t.scalar_type() == torch::kFloat32) return "float32";
  if (t.scalar_type() == torch::kInt64) return "int64";
  throw ModelFileError("unsupported tensor type " + std::string(c10::toString(t.scalar_type())));
}

torch::ScalarType dtype_from_name(const std::string& name) {
  if (name == "float32") return torch::kFloat32;
  if (name == "int64") return torch::kInt64;
  throw std::invalid_argument("unsupported tensor type '" + name + "'");
}

// Parameters and buffers by their full names, as the file stores them.
std::vector<std::pair<std::string, torch::Tensor>> named_state(torch::nn::Module& m) {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (const auto& p : m.named_parameters(true)) out.emplace_back("param:" + p.key(), p.value());
  for (const auto& b : m.named_buffers(true)) out.emplace_back("buffer:" + b.key(), b.value());
  return out;
}

template <typename T>
void put(std::string& out, T v) {
  char b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));  // the formats are written on little-endian hosts
  out.append(b, sizeof(T));
}

template <typename T>
T get(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

}  // namespace

void ModelFile::build_network() {
  nlohmann::json resolved;
  network = make_autoencoder(arch, arch_params, preprocess.channels(), preprocess.height, preprocess.width, &resolved);
  arch_params = resolved;
}

nlohmann::json ModelFile::metadata(bool brief) const {
  nlohmann::json prov = provenance;
  if (brief) {
    for (auto& [key, value] : prov.items())
      if (key.size() > 7 && key.compare(key.size() - 7, 7, "_hashes") == 0 && value.is_array())
        value = std::to_string(value.size()) + " truncated SHA-256 hashes (--full lists them)";
  }
  nlohmann::json j = {{"format", "wellmonitor-model"},
                      {"format_version", kModelFormatVersion},
                      {"arch", arch},
                      {"arch_params", arch_params},
                      {"preprocess", preprocess.to_json()},
                      {"score", score.to_json()},
                      {"calibration", calibration.to_json()},
                      {"threshold", calibration.threshold},
                      {"validation", validation},
                      {"training", training},
                      {"provenance", prov}};
  if (network) {
    j["parameters"] = parameter_count(*network);
    j["multiply_adds_per_crop"] = network->multiply_adds();
  }
  return j;
}

void save_model(const ModelFile& model, const std::string& path) {
  if (!model.network) throw ModelFileError(path + ": no network to save");
  torch::NoGradGuard no_grad;
  std::string payload;
  nlohmann::json table = nlohmann::json::array();
  for (auto& [name, tensor] : named_state(*model.network)) {
    auto t = tensor.detach().to(torch::kCPU).contiguous();
    const size_t nbytes = static_cast<size_t>(t.numel()) * t.element_size();
    table.push_back({{"name", name}, {"dtype", dtype_name(t)}, {"shape", t.sizes().vec()},
                     {"offset", payload.size()}, {"nbytes", nbytes}});
    payload.append(static_cast<const char*>(t.data_ptr()), nbytes);
  }
  nlohmann::json meta = model.metadata();
  meta["tensors"] = table;
  meta["payload_bytes"] = payload.size();
  meta["payload_sha256"] = sha256_hex(payload.data(), payload.size());
  const std::string text = meta.dump(1);

  std::string header(kMagic, sizeof(kMagic));
  put<uint32_t>(header, kModelFormatVersion);
  put<uint32_t>(header, 0);
  put<uint64_t>(header, text.size());

  std::string file = header + text + payload;
  file += sha256_hex(file.data(), file.size());  // footer: guards the metadata (threshold) as well as the weights

  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) throw ModelFileError(path + ": cannot write (" + std::strerror(errno) + ")");
    f.write(file.data(), static_cast<std::streamsize>(file.size()));
    f.flush();
    if (!f) throw ModelFileError(path + ": write failed (" + std::strerror(errno) + ")");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw ModelFileError(path + ": cannot write (" + std::strerror(errno) + ")");
  }
}

namespace {

struct RawModel {
  nlohmann::json meta;
  std::string payload;
};

RawModel read_raw(const std::string& path, bool with_payload) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw ModelFileError(path + ": cannot open model file (" + std::strerror(errno) + ")");
  std::string file((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  if (file.size() < sizeof(kMagic) || std::memcmp(file.data(), kMagic, sizeof(kMagic)) != 0)
    throw ModelFileError(path + ": not a wellmonitor model file (bad magic)");
  if (file.size() < kHeaderSize) throw ModelFileError(path + ": truncated model file (header cut short)");
  const uint32_t version = get<uint32_t>(file.data() + 8);
  if (version > kModelFormatVersion)
    throw ModelFileError(path + ": model file format " + std::to_string(version) +
                         " was written by a newer wellmonitor; this build reads format " +
                         std::to_string(kModelFormatVersion) + ". Upgrade wellmonitor or retrain the model.");
  if (version < 1) throw ModelFileError(path + ": model file format " + std::to_string(version) + " is not supported");
  const uint64_t meta_size = get<uint64_t>(file.data() + 16);
  if (meta_size == 0 || meta_size > kMaxMetadata) throw ModelFileError(path + ": corrupt model file (bad metadata size)");
  if (file.size() < kHeaderSize + meta_size) throw ModelFileError(path + ": truncated model file (metadata cut short)");
  RawModel raw;
  try {
    raw.meta = nlohmann::json::parse(file.substr(kHeaderSize, meta_size));
  } catch (const nlohmann::json::exception& e) {
    throw ModelFileError(path + ": corrupt model file (metadata is not valid JSON)");
  }
  if (!with_payload) return raw;
  const uint64_t payload_size = raw.meta.value("payload_bytes", uint64_t{0});
  const uint64_t body = kHeaderSize + meta_size + payload_size;
  if (file.size() < body + kFooterSize)
    throw ModelFileError(path + ": truncated model file (" + std::to_string(file.size()) + " of " +
                         std::to_string(body + kFooterSize) + " bytes)");
  if (file.size() > body + kFooterSize) throw ModelFileError(path + ": corrupt model file (trailing bytes)");
  if (sha256_hex(file.data(), body) != file.substr(body, kFooterSize))
    throw ModelFileError(path + ": corrupt model file (checksum mismatch: the file was altered or damaged)");
  raw.payload = file.substr(kHeaderSize + meta_size, payload_size);
  if (sha256_hex(raw.payload.data(), raw.payload.size()) != raw.meta.value("payload_sha256", std::string()))
    throw ModelFileError(path + ": corrupt model file (weights checksum mismatch)");
  return raw;
}

}  // namespace

nlohmann::json read_model_metadata(const std::string& path) { return read_raw(path, false).meta; }

ModelFile load_model(const std::string& path) {
  RawModel raw = read_raw(path, true);
  const auto& m = raw.meta;
  ModelFile model;
  try {
    model.arch = m.at("arch").get<std::string>();
    model.arch_params = m.value("arch_params", nlohmann::json::object());
    model.preprocess = PreprocessConfig::from_json(m.at("preprocess"));
    model.score = ScoreConfig::from_json(m.at("score"));
    model.calibration = Calibration::from_json(m.at("calibration"));
    model.validation = m.value("validation", nlohmann::json::object());
    model.training = m.value("training", nlohmann::json::object());
    model.provenance = m.value("provenance", nlohmann::json::object());
    model.build_network();
    if (model.network->is_classifier() != (model.score.kind == ScoreKind::Probability))
      throw std::invalid_argument("score '" + to_string(model.score.kind) + "' does not fit architecture " + model.arch);
  } catch (const std::exception& e) {
    throw ModelFileError(path + ": unusable model file: " + error_text(e));
  }
  torch::NoGradGuard no_grad;
  auto state = named_state(*model.network);
  std::map<std::string, torch::Tensor> by_name(state.begin(), state.end());
  size_t filled = 0;
  try {
    for (const auto& entry : m.at("tensors")) {
      const auto name = entry.at("name").get<std::string>();
      auto it = by_name.find(name);
      if (it == by_name.end()) throw std::invalid_argument("unexpected tensor '" + name + "' for arch " + model.arch);
      const auto shape = entry.at("shape").get<std::vector<int64_t>>();
      const auto dtype = dtype_from_name(entry.at("dtype").get<std::string>());
      const auto offset = entry.at("offset").get<uint64_t>();
      const auto nbytes = entry.at("nbytes").get<uint64_t>();
      torch::Tensor& dst = it->second;
      if (dst.sizes().vec() != shape || dst.scalar_type() != dtype)
        throw std::invalid_argument("tensor '" + name + "' has the wrong shape or type for arch " + model.arch);
      if (offset + nbytes > raw.payload.size() || nbytes != static_cast<uint64_t>(dst.numel()) * dst.element_size())
        throw std::invalid_argument("tensor '" + name + "' lies outside the weights");
      auto src = torch::from_blob(raw.payload.data() + offset, shape, torch::TensorOptions().dtype(dtype));
      dst.copy_(src);
      ++filled;
    }
  } catch (const ModelFileError&) {
    throw;
  } catch (const std::exception& e) {
    throw ModelFileError(path + ": unusable model file: " + error_text(e));
  }
  if (filled != by_name.size())
    throw ModelFileError(path + ": unusable model file: " + std::to_string(by_name.size() - filled) + " tensors missing");
  model.network->eval();
  return model;
}

}  // namespace wellmonitor
