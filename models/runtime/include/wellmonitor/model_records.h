// What a model file records beside its network: how it was trained, how it
// did on held-out data, and where it came from. Typed records: the trainer,
// `verify`, `calibrate`, `stress` and the element read named fields, not JSON
// keys. A section keeps the keys this build does not know in `extra` and
// writes them back unchanged, so a file read and saved again loses nothing.
// The calibrated threshold (Calibration) and detection figures (Metrics) are
// records of the model file too; calibration.h (training) computes them.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace wellmonitor {

// How the threshold was chosen. A crop is a spill when its score is strictly
// greater than the threshold.
struct Calibration {
  double threshold = 0.0;
  std::string method;       // "tnr-target", "quantile" or "youden"
  double parameter = 0.0;   // target TNR (tnr-target) or false-alarm rate (quantile); 0 for youden
  double tnr = 0.0;         // on the calibration normals
  double tpr = -1.0;        // on the calibration spills (-1: none were given)
  size_t n_normal = 0;
  size_t n_anomaly = 0;
  nlohmann::json normal_quantiles;  // p50, p90, p95, p99, p99.9, max of the calibration normals

  nlohmann::json to_json() const;
  static Calibration from_json(const nlohmann::json& j);
};

// Detection figures at a threshold (calibration.h: compute_metrics).
struct Metrics {
  size_t tp = 0, tn = 0, fp = 0, fn = 0;
  double tpr = 0.0, tnr = 0.0;  // NaN when the class is absent
  double roc_auc = 0.0;         // NaN unless both classes are present
  double pr_auc = 0.0;          // average precision; NaN unless both classes are present
  double threshold = 0.0;
  size_t n = 0;

  nlohmann::json to_json() const;
};

// The "training" section.
struct TrainingRecord {
  std::string recipe;                // "plain" (crossval's recipe); empty for `train`'s split recipe
  std::string loss;                  // "binary-cross-entropy" (classifiers) or "mse" (autoencoders)
  std::string optimizer;             // "adam"
  std::string augment;               // augmentations, comma-separated, or "none"
  std::string shifts;                // kinds of shifted normals trained on, or "none" (empty: not recorded)
  std::string synthetic;             // kinds of synthetic spills trained on, or "none" (empty: not recorded)
  uint64_t seed = 1;                 // the training seed
  int epochs_run = 0;                // epochs trained
  double learning_rate = 0.0;
  double crops_per_second = 0.0;     // training speed
  std::vector<double> train_loss;    // per epoch
  std::vector<double> val_loss;      // per epoch; empty without a validation split
  nlohmann::json extra = nlohmann::json::object();  // the recipe's other settings, as written

  nlohmann::json to_json() const;
  // Throws std::invalid_argument naming a key of the wrong type ("training.seed").
  static TrainingRecord from_json(const nlohmann::json& j);
};

// The "validation" section: figures on data the model never trained on.
struct ValidationRecord {
  std::optional<Metrics> test;         // the test part at the threshold
  std::optional<Metrics> calibration;  // the calibration part at the threshold
  std::vector<double> test_normal_scores;
  std::vector<double> test_spill_scores;
  std::vector<std::string> test_normal_hashes;  // truncated SHA-256, in score order (for `verify`)
  std::vector<std::string> test_spill_hashes;
  std::vector<int> test_spill_wells;            // spills of these wells were held out
  nlohmann::json otherdays_cv;                  // crossval's figures on the other days (null: none)
  std::string note;
  nlohmann::json extra = nlohmann::json::object();

  nlohmann::json to_json() const;
  static ValidationRecord from_json(const nlohmann::json& j);  // throws std::invalid_argument
};

// A recalibration of the threshold, kept in the provenance.
struct Recalibration {
  std::string date;
  double previous_threshold = 0.0;
  std::string normal_dir;
};

// The "provenance" section: where the model came from.
struct ProvenanceRecord {
  std::string trainer_version;
  std::string date;                  // ISO 8601, when it was trained
  std::string normal_dir;            // folder names (not paths) of the data
  std::string anomaly_dir;
  std::string otherdays_dir;
  std::string normal_set_sha256;
  int fold = -1;                     // crossval's fold models: the fold held out
  // Truncated SHA-256 hashes of the crops trained on (train_hashes holds every
  // crop trained on, the other days' too) and tested on.
  std::vector<std::string> train_hashes;
  std::vector<std::string> train_spill_hashes;
  std::vector<std::string> train_otherdays_hashes;
  std::vector<std::string> test_hashes;
  std::optional<Recalibration> recalibrated;
  nlohmann::json extra = nlohmann::json::object();

  // `brief` replaces the hash lists by their counts, for printing.
  nlohmann::json to_json(bool brief = false) const;
  static ProvenanceRecord from_json(const nlohmann::json& j);  // throws std::invalid_argument
};

// Metrics as Metrics::to_json writes them (NaN as null).
Metrics metrics_from_json(const nlohmann::json& j);

}  // namespace wellmonitor
