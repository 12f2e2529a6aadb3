// The model file: one file that holds everything a deployment needs.
//
// Layout (little-endian):
//   8 bytes   magic "WELLMON\0"
//   uint32    format version (kModelFormatVersion)
//   uint32    reserved, 0
//   uint64    length of the metadata in bytes
//   metadata  UTF-8 JSON: architecture and its parameters, preprocessing,
//             score, calibrated threshold with its statistics, validation
//             figures, provenance, and a table of the tensors that follow
//   payload   raw tensor data (float32 / int64), in table order
//   footer    64 hex digits: SHA-256 of everything before it
// The metadata records the payload's size and SHA-256 and the footer guards
// the whole file, so a truncated or altered file (weights or threshold) is
// refused with a clear message.
#pragma once

#include "wellmonitor/architectures.h"
#include "wellmonitor/errors.h"  // ModelFileError
#include "wellmonitor/model_records.h"
#include "wellmonitor/preprocess.h"
#include "wellmonitor/scores.h"

#include <nlohmann/json.hpp>

#include <memory>
#include <stdexcept>
#include <string>

namespace wellmonitor {

constexpr uint32_t kModelFormatVersion = 1;

struct ModelFile {
  std::string arch = "compact-ae";
  nlohmann::json arch_params = nlohmann::json::object();
  PreprocessConfig preprocess;
  ScoreConfig score;
  Calibration calibration;
  ValidationRecord validation;  // figures on held-out data
  TrainingRecord training;      // epochs, losses, hyperparameters
  ProvenanceRecord provenance;  // data hashes, date, version
  std::shared_ptr<AutoencoderImpl> network;

  // Builds `network` from arch, arch_params and preprocess (fresh weights).
  void build_network();
  double threshold() const { return calibration.threshold; }
  // Everything but the weights, as stored in the file. `brief` replaces long
  // lists (the training crops' hashes) by their counts, for printing.
  nlohmann::json metadata(bool brief = false) const;
};

void save_model(const ModelFile& model, const std::string& path);  // writes atomically
ModelFile load_model(const std::string& path);                    // throws ModelFileError
nlohmann::json read_model_metadata(const std::string& path);      // header only; throws ModelFileError

}  // namespace wellmonitor
