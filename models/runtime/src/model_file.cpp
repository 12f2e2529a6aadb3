#include "wellmonitor/model_file.h"

#include "wellmonitor/errors.h"
#include "wellmonitor/file_io.h"
#include "wellmonitor/torchscript.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <set>
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
  throw std::invalid_argument("unsupported tensor type '" + printable(name) + "'");
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

// The JSON type a metadata key must have, when the key is present.
enum class Kind { String, Number, Integer, Unsigned, Object, Array };

bool has_kind(const nlohmann::json& v, Kind k) {
  switch (k) {
    case Kind::String: return v.is_string();
    case Kind::Number: return v.is_number();
    case Kind::Integer: return v.is_number_integer();
    case Kind::Unsigned: return v.is_number_unsigned();
    case Kind::Object: return v.is_object();
    case Kind::Array: return v.is_array();
  }
  return false;
}

const char* kind_name(Kind k) {
  switch (k) {
    case Kind::String: return "a string";
    case Kind::Number: return "a number";
    case Kind::Integer: return "an integer";
    case Kind::Unsigned: return "a non-negative integer";
    case Kind::Object: return "an object";
    case Kind::Array: return "an array";
  }
  return "?";
}

// Refuses, naming the key ("calibration.threshold"), a present key of the wrong type.
void check_types(const nlohmann::json& j, std::initializer_list<std::pair<const char*, Kind>> keys,
                 const std::string& where) {
  for (const auto& [key, kind] : keys) {
    const auto it = j.find(key);
    if (it != j.end() && !has_kind(*it, kind))
      throw std::invalid_argument("key '" + where + key + "' must be " + kind_name(kind) + ", not " +
                                  std::string(it->type_name()));
  }
}

// A required key, named when missing.
const nlohmann::json& required(const nlohmann::json& j, const char* key, const std::string& where) {
  const auto it = j.find(key);
  if (it == j.end()) throw std::invalid_argument("key '" + where + key + "' is missing");
  return *it;
}

// nlohmann's what() without its "[json.exception.type_error.302] " prefix.
std::string json_reason(const nlohmann::json::exception& e) {
  const std::string s = e.what();
  const auto end = s.find("] ");
  return s.compare(0, 1, "[") == 0 && end != std::string::npos ? s.substr(end + 2) : s;
}

// One entry of the tensor table, checked against the payload it points into.
struct TensorEntry {
  std::string name;
  torch::ScalarType dtype = torch::kFloat32;
  std::vector<int64_t> shape;
  uint64_t offset = 0;
  uint64_t nbytes = 0;
  uint64_t numel = 0;
};

// Reads and checks the whole table before anything is allocated: types, unique
// names, shapes whose size fits the payload, and every [offset, offset + nbytes)
// inside it (compared so that no sum can wrap).
std::vector<TensorEntry> read_table(const nlohmann::json& m, uint64_t payload_size) {
  const auto& table = required(m, "tensors", "");
  std::vector<TensorEntry> out;
  std::set<std::string> names;
  for (size_t i = 0; i < table.size(); ++i) {
    const auto& e = table[i];
    const std::string where = "tensors[" + std::to_string(i) + "].";
    if (!e.is_object()) throw std::invalid_argument("key 'tensors[" + std::to_string(i) + "]' must be an object");
    check_types(e, {{"name", Kind::String}, {"dtype", Kind::String}, {"shape", Kind::Array},
                    {"offset", Kind::Unsigned}, {"nbytes", Kind::Unsigned}},
                where);
    TensorEntry t;
    t.name = required(e, "name", where).get<std::string>();
    if (!names.insert(t.name).second) throw std::invalid_argument("tensor '" + printable(t.name) + "' is listed twice");
    t.dtype = dtype_from_name(required(e, "dtype", where).get<std::string>());
    const uint64_t element = t.dtype == torch::kInt64 ? 8 : 4;
    t.numel = 1;
    for (const auto& d : required(e, "shape", where)) {
      if (!d.is_number_unsigned())
        throw std::invalid_argument("key '" + where + "shape' must hold non-negative integers");
      const uint64_t n = d.get<uint64_t>();
      // numel * element <= payload_size, checked without overflow.
      if (n != 0 && t.numel > payload_size / element / n)
        throw std::invalid_argument("tensor '" + printable(t.name) + "' is larger than the weights");
      t.numel *= n;
      t.shape.push_back(static_cast<int64_t>(n));
    }
    t.offset = required(e, "offset", where).get<uint64_t>();
    t.nbytes = required(e, "nbytes", where).get<uint64_t>();
    if (t.nbytes != t.numel * element)
      throw std::invalid_argument("tensor '" + printable(t.name) + "': nbytes " + std::to_string(t.nbytes) + " does not match its shape");
    if (t.nbytes > payload_size || t.offset > payload_size - t.nbytes)
      throw std::invalid_argument("tensor '" + printable(t.name) + "' lies outside the weights");
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace

void ModelFile::build_network() {
  nlohmann::json resolved;
  network = make_autoencoder(arch, arch_params, preprocess.channels(), preprocess.height, preprocess.width, &resolved);
  arch_params = resolved;
}

nlohmann::json ModelFile::metadata(bool brief) const {
  const nlohmann::json prov = provenance.to_json(brief);
  nlohmann::json j = {{"format", "wellmonitor-model"},
                      {"format_version", kModelFormatVersion},
                      {"arch", arch},
                      {"arch_params", arch_params},
                      {"preprocess", preprocess.to_json()},
                      {"score", score.to_json()},
                      {"calibration", calibration.to_json()},
                      {"threshold", calibration.threshold},
                      {"validation", validation.to_json()},
                      {"training", training.to_json()},
                      {"provenance", prov}};
  if (network) {
    j["parameters"] = parameter_count(*network);
    j["multiply_adds_per_crop"] = network->multiply_adds();
  }
  return j;
}

void save_model(const ModelFile& model, const std::string& path) {
  if (!model.network) throw ModelFileError(path + ": no network to save");
  if (model.arch == kTorchScriptArch)
    throw ModelFileError(path + ": a TorchScript model is not written as a model file; change its JSON instead");
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
  std::string file, why;
  if (!read_regular_file(path, kMaxModelFileBytes, file, why)) throw ModelFileError(path + ": cannot load model: " + why);
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
  if (file.size() - kHeaderSize < meta_size) throw ModelFileError(path + ": truncated model file (metadata cut short)");
  RawModel raw;
  try {
    raw.meta = nlohmann::json::parse(file.substr(kHeaderSize, meta_size));
  } catch (const nlohmann::json::exception& e) {
    throw ModelFileError(path + ": corrupt model file (metadata is not valid JSON)");
  }
  if (!raw.meta.is_object()) throw ModelFileError(path + ": corrupt model file (metadata is not a JSON object)");
  try {
    check_types(raw.meta,
                {{"arch", Kind::String}, {"arch_params", Kind::Object}, {"preprocess", Kind::Object},
                 {"score", Kind::Object}, {"calibration", Kind::Object}, {"validation", Kind::Object},
                 {"training", Kind::Object}, {"provenance", Kind::Object}, {"tensors", Kind::Array},
                 {"payload_bytes", Kind::Unsigned}, {"payload_sha256", Kind::String}, {"threshold", Kind::Number}},
                "");
  } catch (const std::invalid_argument& e) {
    throw ModelFileError(path + ": unusable model file: " + e.what());
  }
  if (!with_payload) return raw;
  const uint64_t payload_size = raw.meta.value("payload_bytes", uint64_t{0});
  const uint64_t after_meta = file.size() - kHeaderSize - meta_size;  // no sum below can wrap
  if (after_meta < kFooterSize || payload_size > after_meta - kFooterSize)
    throw ModelFileError(path + ": truncated model file (" + std::to_string(file.size()) + " bytes, the metadata " +
                         "announces " + std::to_string(payload_size) + " bytes of weights after " +
                         std::to_string(kHeaderSize + meta_size) + ")");
  const uint64_t body = kHeaderSize + meta_size + payload_size;
  if (file.size() > body + kFooterSize) throw ModelFileError(path + ": corrupt model file (trailing bytes)");
  if (sha256_hex(file.data(), body) != file.substr(body, kFooterSize))
    throw ModelFileError(path + ": corrupt model file (checksum mismatch: the file was altered or damaged)");
  raw.payload = file.substr(kHeaderSize + meta_size, payload_size);
  if (sha256_hex(raw.payload.data(), raw.payload.size()) != raw.meta.value("payload_sha256", std::string()))
    throw ModelFileError(path + ": corrupt model file (weights checksum mismatch)");
  return raw;
}

}  // namespace

nlohmann::json read_model_metadata(const std::string& path) {
  if (is_torchscript_file(path)) return load_torchscript(path).metadata();
  return read_raw(path, false).meta;
}

ModelFile load_model(const std::string& path) {
  if (is_torchscript_file(path)) return load_torchscript(path);
  RawModel raw = read_raw(path, true);
  const auto& m = raw.meta;
  ModelFile model;
  std::vector<TensorEntry> table;
  try {
    const auto section = [&](const char* key) -> const nlohmann::json& { return required(m, key, ""); };
    model.arch = section("arch").get<std::string>();
    model.arch_params = m.value("arch_params", nlohmann::json::object());
    check_types(model.arch_params, {{"base", Kind::Integer}, {"latent", Kind::Integer}}, "arch_params.");
    check_types(section("preprocess"),
                {{"width", Kind::Integer}, {"height", Kind::Integer}, {"color", Kind::String}, {"resize", Kind::String}},
                "preprocess.");
    check_types(section("score"), {{"kind", Kind::String}, {"a", Kind::Number}, {"b", Kind::Number}, {"test_time", Kind::String}, {"mirror_above", Kind::Number}}, "score.");
    check_types(section("calibration"),
                {{"threshold", Kind::Number}, {"method", Kind::String}, {"parameter", Kind::Number},
                 {"tnr", Kind::Number}, {"tpr", Kind::Number}, {"n_normal", Kind::Unsigned},
                 {"n_anomaly", Kind::Unsigned}},
                "calibration.");
    required(m["preprocess"], "width", "preprocess.");
    required(m["preprocess"], "height", "preprocess.");
    required(m["preprocess"], "color", "preprocess.");
    required(m["score"], "kind", "score.");
    required(m["calibration"], "threshold", "calibration.");
    model.preprocess = PreprocessConfig::from_json(m["preprocess"]);
    model.score = ScoreConfig::from_json(m["score"]);
    model.calibration = Calibration::from_json(m["calibration"]);
    model.validation = ValidationRecord::from_json(m.value("validation", nlohmann::json::object()));
    model.training = TrainingRecord::from_json(m.value("training", nlohmann::json::object()));
    model.provenance = ProvenanceRecord::from_json(m.value("provenance", nlohmann::json::object()));

    // The threshold must lie in the score's range: a probability in [0, 1],
    // a reconstruction error never below 0.
    const double t = model.calibration.threshold;
    const bool probability = model.score.kind == ScoreKind::Probability;
    if (!std::isfinite(t)) throw std::invalid_argument("threshold is not a finite number");
    if (probability && (t < 0.0 || t > 1.0))
      throw std::invalid_argument("threshold " + message_number(t) + " lies outside [0, 1], the range of a probability score");
    if (!probability && t < 0.0)
      throw std::invalid_argument("threshold " + message_number(t) + " is negative; a " + to_string(model.score.kind) +
                                  " score is never below 0");

    // The table against the payload, then against the architecture, before
    // the network is allocated.
    table = read_table(m, raw.payload.size());
    uint64_t held = 0;
    for (const auto& e : table)
      if (e.name.compare(0, 6, "param:") == 0) held += e.numel;
    const double wanted = expected_parameter_count(model.arch, model.arch_params, model.preprocess.channels(),
                                                   model.preprocess.height, model.preprocess.width);
    if (wanted != static_cast<double>(held))
      throw std::invalid_argument("arch " + printable(model.arch) + " with parameters " +
                                  printable(model.arch_params.dump(), 256) + " at " +
                                  std::to_string(model.preprocess.width) + "x" + std::to_string(model.preprocess.height) +
                                  " has " + message_number(wanted) +
                                  " weights; the tensor table holds " + std::to_string(held));
    model.build_network();
    if (model.network->is_classifier() != probability)
      throw std::invalid_argument("score '" + to_string(model.score.kind) + "' does not fit architecture " + printable(model.arch));
  } catch (const nlohmann::json::exception& e) {
    throw ModelFileError(path + ": unusable model file: " + json_reason(e));
  } catch (const std::exception& e) {
    throw ModelFileError(path + ": unusable model file: " + error_text(e));
  }
  torch::NoGradGuard no_grad;
  auto state = named_state(*model.network);
  std::map<std::string, torch::Tensor> by_name(state.begin(), state.end());
  size_t filled = 0;
  try {
    for (const auto& entry : table) {
      auto it = by_name.find(entry.name);
      if (it == by_name.end())
        throw std::invalid_argument("unexpected tensor '" + printable(entry.name) + "' for arch " + printable(model.arch));
      torch::Tensor& dst = it->second;
      if (dst.sizes().vec() != entry.shape || dst.scalar_type() != entry.dtype)
        throw std::invalid_argument("tensor '" + printable(entry.name) + "' has the wrong shape or type for arch " + printable(model.arch));
      auto src = torch::from_blob(raw.payload.data() + entry.offset, entry.shape,
                                  torch::TensorOptions().dtype(entry.dtype));
      if (entry.dtype == torch::kFloat32 && !torch::isfinite(src).all().item<bool>())
        throw std::invalid_argument("tensor '" + printable(entry.name) + "' holds NaN or infinite values");
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
