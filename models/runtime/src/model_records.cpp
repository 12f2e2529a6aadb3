#include "wellmonitor/model_records.h"

#include <cmath>
#include <limits>
#include <stdexcept>

namespace wellmonitor {

namespace {

// Takes the known keys out of one section, checking their types; what is left
// is the section's `extra`.
class Section {
 public:
  Section(const nlohmann::json& j, std::string name) : rest_(j.is_object() ? j : nlohmann::json::object()), name_(std::move(name)) {
    if (!j.is_null() && !j.is_object()) throw std::invalid_argument("key '" + name_ + "' must be an object");
  }

  template <typename T>
  void take(const char* key, T& out) {
    const auto it = rest_.find(key);
    if (it == rest_.end()) return;
    if (!it->is_null()) {
      try {
        out = it->template get<T>();
      } catch (const nlohmann::json::exception&) {
        throw std::invalid_argument("key '" + name_ + "." + key + "' has the wrong type (" + it->type_name() + ")");
      }
    }
    rest_.erase(it);
  }
  void take_json(const char* key, nlohmann::json& out) {
    const auto it = rest_.find(key);
    if (it == rest_.end()) return;
    out = *it;
    rest_.erase(it);
  }
  void take_metrics(const char* key, std::optional<Metrics>& out) {
    const auto it = rest_.find(key);
    if (it == rest_.end()) return;
    if (!it->is_object()) throw std::invalid_argument("key '" + name_ + "." + key + "' must be an object");
    try {
      out = metrics_from_json(*it);
    } catch (const nlohmann::json::exception&) {
      throw std::invalid_argument("key '" + name_ + "." + key + "' holds figures of the wrong type");
    }
    rest_.erase(it);
  }
  const nlohmann::json& rest() const { return rest_; }

 private:
  nlohmann::json rest_;
  std::string name_;
};

double number_or_nan(const nlohmann::json& j, const char* key) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::numeric_limits<double>::quiet_NaN();
  return it->get<double>();
}

// `extra` with the typed fields written over it.
nlohmann::json with_extra(const nlohmann::json& extra, nlohmann::json typed) {
  nlohmann::json out = extra.is_object() ? extra : nlohmann::json::object();
  for (auto& [k, v] : typed.items()) out[k] = std::move(v);
  return out;
}

nlohmann::json number_or_null(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(); }

}  // namespace

nlohmann::json Calibration::to_json() const {
  nlohmann::json j = {{"threshold", threshold}, {"method", method},         {"parameter", parameter},
                      {"tnr", tnr},             {"n_normal", n_normal},     {"n_anomaly", n_anomaly},
                      {"normal_quantiles", normal_quantiles}};
  if (tpr >= 0) j["tpr"] = tpr;
  return j;
}

Calibration Calibration::from_json(const nlohmann::json& j) {
  Calibration c;
  c.threshold = j.at("threshold").get<double>();
  c.method = j.value("method", std::string("manual"));
  c.parameter = j.value("parameter", 0.0);
  c.tnr = j.value("tnr", 0.0);
  c.tpr = j.value("tpr", -1.0);
  c.n_normal = j.value("n_normal", size_t{0});
  c.n_anomaly = j.value("n_anomaly", size_t{0});
  c.normal_quantiles = j.value("normal_quantiles", nlohmann::json::object());
  return c;
}

nlohmann::json Metrics::to_json() const {
  return {{"tp", tp},   {"tn", tn},   {"fp", fp},   {"fn", fn},
          {"tpr", number_or_null(tpr)}, {"tnr", number_or_null(tnr)},
          {"roc_auc", number_or_null(roc_auc)}, {"pr_auc", number_or_null(pr_auc)},
          {"threshold", threshold}, {"n", n}};
}

Metrics metrics_from_json(const nlohmann::json& j) {
  Metrics m;
  m.tp = j.value("tp", size_t{0});
  m.tn = j.value("tn", size_t{0});
  m.fp = j.value("fp", size_t{0});
  m.fn = j.value("fn", size_t{0});
  m.tpr = number_or_nan(j, "tpr");
  m.tnr = number_or_nan(j, "tnr");
  m.roc_auc = number_or_nan(j, "roc_auc");
  m.pr_auc = number_or_nan(j, "pr_auc");
  m.threshold = j.value("threshold", 0.0);
  m.n = j.value("n", size_t{0});
  return m;
}

nlohmann::json TrainingRecord::to_json() const {
  nlohmann::json t = {{"loss", loss},
                      {"synthetic", synthetic.empty() ? nlohmann::json() : nlohmann::json(synthetic)},
                      {"seed", seed},           {"epochs_run", epochs_run}, {"learning_rate", learning_rate},
                      {"crops_per_second", crops_per_second},               {"train_loss", train_loss}};
  if (!recipe.empty()) t["recipe"] = recipe;
  if (!shifts.empty()) t["shifts"] = shifts;
  if (!optimizer.empty()) t["optimizer"] = optimizer;
  if (!augment.empty()) t["augment"] = augment;
  if (!val_loss.empty()) t["val_loss"] = val_loss;
  return with_extra(extra, std::move(t));
}

TrainingRecord TrainingRecord::from_json(const nlohmann::json& j) {
  TrainingRecord r;
  Section s(j, "training");
  s.take("recipe", r.recipe);
  s.take("loss", r.loss);
  s.take("optimizer", r.optimizer);
  s.take("augment", r.augment);
  s.take("shifts", r.shifts);
  s.take("synthetic", r.synthetic);
  s.take("seed", r.seed);
  s.take("epochs", r.epochs_run);  // crossval's recipe wrote "epochs"
  s.take("epochs_run", r.epochs_run);
  s.take("learning_rate", r.learning_rate);
  s.take("crops_per_second", r.crops_per_second);
  s.take("train_loss", r.train_loss);
  s.take("val_loss", r.val_loss);
  r.extra = s.rest();
  return r;
}

nlohmann::json ValidationRecord::to_json() const {
  nlohmann::json t = nlohmann::json::object();
  if (test) t["test"] = test->to_json();
  if (calibration) t["calibration"] = calibration->to_json();
  t["test_normal_scores"] = test_normal_scores;
  t["test_spill_scores"] = test_spill_scores;
  t["test_normal_hashes"] = test_normal_hashes;
  t["test_spill_hashes"] = test_spill_hashes;
  if (!test_spill_wells.empty()) t["test_spill_wells"] = test_spill_wells;
  if (!otherdays_cv.is_null()) t["otherdays_cv"] = otherdays_cv;
  if (!note.empty()) t["note"] = note;
  return with_extra(extra, std::move(t));
}

ValidationRecord ValidationRecord::from_json(const nlohmann::json& j) {
  ValidationRecord r;
  Section s(j, "validation");
  s.take_metrics("test", r.test);
  s.take_metrics("calibration", r.calibration);
  s.take("test_normal_scores", r.test_normal_scores);
  s.take("test_spill_scores", r.test_spill_scores);
  s.take("test_normal_hashes", r.test_normal_hashes);
  s.take("test_spill_hashes", r.test_spill_hashes);
  s.take("test_spill_wells", r.test_spill_wells);
  s.take_json("otherdays_cv", r.otherdays_cv);
  s.take("note", r.note);
  r.extra = s.rest();
  return r;
}

nlohmann::json ProvenanceRecord::to_json(bool brief) const {
  const auto hashes = [brief](const std::vector<std::string>& h) -> nlohmann::json {
    if (brief) return std::to_string(h.size()) + " truncated SHA-256 hashes (--full lists them)";
    return h;
  };
  nlohmann::json t = {{"trainer_version", trainer_version}, {"date", date},
                      {"train_hashes", hashes(train_hashes)}, {"train_spill_hashes", hashes(train_spill_hashes)},
                      {"test_hashes", hashes(test_hashes)}};
  if (!normal_dir.empty()) t["normal_dir"] = normal_dir;
  if (!anomaly_dir.empty()) t["anomaly_dir"] = anomaly_dir;
  if (!otherdays_dir.empty()) t["otherdays_dir"] = otherdays_dir;
  if (!normal_set_sha256.empty()) t["normal_set_sha256"] = normal_set_sha256;
  if (fold >= 0) t["fold"] = fold;
  if (!train_otherdays_hashes.empty()) t["train_otherdays_hashes"] = hashes(train_otherdays_hashes);
  if (recalibrated)
    t["recalibrated"] = {{"date", recalibrated->date},
                         {"previous_threshold", recalibrated->previous_threshold},
                         {"normal_dir", recalibrated->normal_dir}};
  return with_extra(extra, std::move(t));
}

ProvenanceRecord ProvenanceRecord::from_json(const nlohmann::json& j) {
  ProvenanceRecord r;
  Section s(j, "provenance");
  s.take("trainer_version", r.trainer_version);
  s.take("date", r.date);
  s.take("normal_dir", r.normal_dir);
  s.take("anomaly_dir", r.anomaly_dir);
  s.take("otherdays_dir", r.otherdays_dir);
  s.take("normal_set_sha256", r.normal_set_sha256);
  s.take("fold", r.fold);
  s.take("train_hashes", r.train_hashes);
  s.take("train_spill_hashes", r.train_spill_hashes);
  s.take("train_otherdays_hashes", r.train_otherdays_hashes);
  s.take("test_hashes", r.test_hashes);
  nlohmann::json recal;
  s.take_json("recalibrated", recal);
  if (recal.is_object()) {
    Recalibration c;
    Section rs(recal, "provenance.recalibrated");
    rs.take("date", c.date);
    rs.take("previous_threshold", c.previous_threshold);
    rs.take("normal_dir", c.normal_dir);
    r.recalibrated = c;
  }
  r.extra = s.rest();
  return r;
}

}  // namespace wellmonitor
