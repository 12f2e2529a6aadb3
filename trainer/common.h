// Helpers shared by the trainer's subcommands.
#pragma once

#include "commands.h"
#include "wellmonitor/augment.h"
#include "wellmonitor/calibration.h"
#include "wellmonitor/dataset.h"
#include "wellmonitor/detector.h"

#include <fmt/core.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <random>
#include <functional>
#include <set>
#include <string>
#include <vector>

namespace wellmonitor {

constexpr size_t kHashChars = 16;  // truncated SHA-256 recorded for each training/test crop

void warn(const std::string& msg);
void note(const CommonOptions& o, const std::string& msg);
// Runs a subcommand body; any error becomes one line on stderr and exit 1.
template <typename F>
int guarded(F&& body) {
  try {
    return body();
  } catch (const c10::Error& e) {
    fmt::print(stderr, "wellmonitor-trainer: error: {}\n", e.what_without_backtrace());
    return 1;
  } catch (const std::exception& e) {
    fmt::print(stderr, "wellmonitor-trainer: error: {}\n", e.what());
    return 1;
  }
}

// Loads a folder of crops (deduplicated) and says what it found.
std::vector<Crop> load_dir(const std::string& dir, int label, const CommonOptions& o, const char* what);
torch::Tensor to_tensor(const std::vector<Crop>& crops, const std::vector<size_t>& idx, const PreprocessConfig& pc);
std::vector<size_t> all_indices(size_t n);
std::vector<double> score_with_progress(Detector& det, const torch::Tensor& x, const CommonOptions& o,
                                        const std::string& label);
PreprocessConfig parse_preprocess(const std::string& color, const std::string& size);
nlohmann::json parse_arch_params(const std::vector<std::string>& kv);
std::string default_method(const std::string& method, bool have_spills);
double method_parameter(const std::string& method, double target_tnr, double far);
std::string now_iso8601();
// The truncated hashes of crops[idx], sorted (a set, for provenance) or in idx's order.
nlohmann::json short_hashes(const std::vector<Crop>& crops, const std::vector<size_t>& idx);
std::vector<std::string> hashes_in_order(const std::vector<Crop>& crops, const std::vector<size_t>& idx);
std::string fmt_rate(double v);
void print_metrics(const std::string& title, const Metrics& m);
Metrics metrics_of(const std::vector<double>& normal, const std::vector<double>& spill, double thr);
void setup_runtime(const CommonOptions& o);
// The truncated crop hashes a model file records under the given provenance
// keys ("train_hashes", "test_hashes"); empty for keys it lacks.
// The union of recorded hash lists (a model's provenance or validation).
// Mean and (sample) standard deviation of the finite values; sd 0 for one
// value, both NaN for none.
std::pair<double, double> mean_sd(const std::vector<double>& v);

std::set<std::string> hash_set(std::initializer_list<std::reference_wrapper<const std::vector<std::string>>> lists);
// A synthetic spill on `normal` of one of `kinds` (drawn at random): a blob, or a
// blend of the texture of one of spills[pool] (or of a random colour field when
// the pool is empty).
cv::Mat random_synthetic_spill(const cv::Mat& normal, const std::vector<Crop>& spills, const std::vector<size_t>& pool,
                               std::mt19937_64& rng,
                               const std::vector<SpillKind>& kinds = {SpillKind::Blob, SpillKind::Blend});

// The stress-youden threshold rule: Youden's J (TPR + TNR - 1) on the calibration
// part widened like the stress validation: the calibration normals plus shifted
// copies of them (`shifts`) against the calibration spills plus synthetic spills
// (`kinds`, blend textures from `textures`) pasted into copies of the normals; of
// the thresholds whose J is within 0.005 of the best, the highest. Places the
// threshold between what other days' normals and subtle spills may look like, not
// only between normals and the one recorded event. Deterministic for a given seed.
Calibration calibrate_stress_youden(Detector& det, const std::vector<cv::Mat>& normals,
                                    const std::vector<double>& normal_scores, const std::vector<double>& spill_scores,
                                    const std::vector<cv::Mat>& textures, const ShiftSet& shifts,
                                    const std::vector<SpillKind>& kinds, uint64_t seed);

}  // namespace wellmonitor
