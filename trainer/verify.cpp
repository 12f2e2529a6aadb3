// `verify`: does a model file still give the scores and figures it records?
// A model records, for every crop of its held-out test part, a truncated hash
// and the score it got when it was written (validation.test_normal_hashes and
// test_normal_scores, test_spill_hashes and test_spill_scores, in one order). `verify` finds those crops among
// the folders given (by content, whatever their file names), scores them again
// and compares crop by crop; when it finds the whole test part it also
// recomputes the recorded figures (TP, FN, TN, FP, ROC AUC) from the new scores.
#include "commands.h"
#include "common.h"

#include <fmt/core.h>

#include <cmath>
#include <fstream>
#include <limits>
#include <map>

namespace wellmonitor {

namespace {

struct Recorded {
  std::map<std::string, double> score;  // truncated hash -> recorded score
  size_t total = 0;
};

Recorded recorded_part(const std::vector<std::string>& h, const std::vector<double>& s) {
  Recorded r;
  if (h.size() != s.size()) return r;
  for (size_t i = 0; i < h.size(); ++i) r.score[h[i]] = s[i];
  r.total = h.size();
  return r;
}

}  // namespace

int run_verify(const VerifyCommand& c) {
  return guarded([&] {
    const auto& o = c.common;
    setup_runtime(o);
    Detector det = Detector::open(c.model, o.device);
    const ModelFile& model = det.model();
    const Recorded rec_n = recorded_part(model.validation.test_normal_hashes, model.validation.test_normal_scores);
    const Recorded rec_s = recorded_part(model.validation.test_spill_hashes, model.validation.test_spill_scores);
    if (rec_n.total == 0 && rec_s.total == 0)
      throw std::invalid_argument(c.model + ": records no per-crop test scores to verify against (written by an older trainer)");

    struct Found {
      std::vector<Crop> crops;
      std::vector<double> recorded;
    } found_n, found_s;
    auto collect = [&](const std::string& dir, int label, const char* what, const Recorded& rec, Found& out) {
      for (auto& cr : load_dir(dir, label, o, what)) {
        const std::string h = cr.sha256.substr(0, kHashChars);
        const auto it = rec.score.find(h);
        if (it == rec.score.end()) continue;
        out.recorded.push_back(it->second);
        out.crops.push_back(std::move(cr));
      }
    };
    collect(c.normal_dir, 0, "normal", rec_n, found_n);
    if (!c.anomaly_dir.empty()) collect(c.anomaly_dir, 1, "spills", rec_s, found_s);
    const size_t found = found_n.crops.size() + found_s.crops.size();
    if (found == 0)
      throw std::invalid_argument(fmt::format(
          "none of the crops given is among the {} normals and {} spills of {}'s recorded test part", rec_n.total,
          rec_s.total, c.model));

    const auto& pc = model.preprocess;
    const auto new_n = found_n.crops.empty() ? std::vector<double>{}
                                             : score_all(det, to_tensor(found_n.crops, all_indices(found_n.crops.size()), pc));
    const auto new_s = found_s.crops.empty() ? std::vector<double>{}
                                             : score_all(det, to_tensor(found_s.crops, all_indices(found_s.crops.size()), pc));
    const double thr = det.threshold();
    double worst = 0;
    size_t off = 0, flipped = 0, non_finite = 0;
    auto compare = [&](const Found& f, const std::vector<double>& now) {
      for (size_t i = 0; i < now.size(); ++i) {
        // A NaN compares false with everything: count it as off, never as within tolerance.
        const bool finite = std::isfinite(now[i]) && std::isfinite(f.recorded[i]);
        non_finite += !finite;
        const double d = finite ? std::abs(now[i] - f.recorded[i]) : std::numeric_limits<double>::infinity();
        worst = std::max(worst, d);
        if (!finite || d > c.tolerance) {
          ++off;
          if (off <= 10) fmt::print("  {}: score {:.8g}, recorded {:.8g}\n", f.crops[i].path, now[i], f.recorded[i]);
        }
        flipped += (now[i] > thr) != (f.recorded[i] > thr);
      }
    };
    compare(found_n, new_n);
    compare(found_s, new_s);
    fmt::print("model {} ({}), threshold {:.6g}\n", c.model, model.arch, thr);
    fmt::print("found {} of {} recorded test normals and {} of {} recorded test spills\n", found_n.crops.size(),
               rec_n.total, found_s.crops.size(), rec_s.total);
    fmt::print("scores: {} of {} within {:g} of the recorded ones (largest difference {:.3g}); {} decision(s) changed\n",
               found - off, found, c.tolerance, worst, flipped);
    if (non_finite) fmt::print("{} score(s) are not finite numbers (NaN or infinite)\n", non_finite);
    bool ok = off == 0 && flipped == 0 && non_finite == 0;

    // The whole test part: the recorded figures themselves.
    nlohmann::json figures;
    const bool whole = found_n.crops.size() == rec_n.total && found_s.crops.size() == rec_s.total;
    if (whole && non_finite == 0 && model.validation.test) {
      const Metrics m = metrics_of(new_n, new_s, thr);
      const Metrics& want = *model.validation.test;
      const bool auc_same = !std::isfinite(want.roc_auc) || std::abs(m.roc_auc - want.roc_auc) <= 1e-6;
      const bool same = m.tp == want.tp && m.fn == want.fn && m.tn == want.tn && m.fp == want.fp && auc_same;
      print_metrics("test part, scored now", m);
      fmt::print("recorded figures: TP={} FN={} TN={} FP={} ROC-AUC={} -> {}\n", want.tp, want.fn, want.tn, want.fp,
                 std::isfinite(want.roc_auc) ? fmt_rate(want.roc_auc) : "n/a", same ? "reproduced" : "NOT reproduced");
      ok = ok && same;
      figures = m.to_json();
    } else if (non_finite) {
      fmt::print("(the recorded figures are not recomputed from scores that are not numbers)\n");
    } else {
      fmt::print("(the recorded figures are checked when every recorded test crop is given)\n");
    }
    fmt::print("{}\n", ok ? "verified: the model gives the scores it records" : "MISMATCH: the model does not give the scores it records");
    if (!c.json_out.empty()) {
      nlohmann::json j = {{"model", c.model},         {"found_normals", found_n.crops.size()},
                          {"recorded_normals", rec_n.total}, {"found_spills", found_s.crops.size()},
                          {"recorded_spills", rec_s.total},  {"tolerance", c.tolerance},
                          {"largest_difference", worst},     {"outside_tolerance", off},
                          {"decisions_changed", flipped},    {"non_finite_scores", non_finite},
                          {"whole_test_part", whole},
                          {"figures", figures},              {"verified", ok}};
      std::ofstream f(c.json_out);
      if (!f) throw std::runtime_error(c.json_out + ": cannot write");
      f << j.dump(2) << "\n";
    }
    return ok ? 0 : 1;
  });
}

}  // namespace wellmonitor
