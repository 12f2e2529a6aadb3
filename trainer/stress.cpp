// `stress`: the validation that imitates other days. The clean split (held-out
// normals, spills of held-out wells) plus shifted copies of the held-out
// normals (occluders, crop boxes grown/shrunk/shifted, photometric changes)
// and synthetic subtle spills, over several seeds, reported as mean and spread.
#include "commands.h"
#include "common.h"
#include "report.h"
#include "wellmonitor/augment.h"

#include <fmt/core.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <cmath>
#include <limits>
#include <fstream>
#include <map>
#include <set>

namespace wellmonitor {

namespace {

struct Part {
  std::string name, what;
  std::vector<double> tpr, tnr, auc;
  size_t normals = 0, spills = 0;
};

std::string cell(const std::vector<double>& v) {
  auto [m, s] = mean_sd(v);
  if (!std::isfinite(m)) return "n/a";
  return fmt::format("{:.4f} ± {:.4f}", m, s);
}

void record(Part& p, const std::vector<double>& normal, const std::vector<double>& spill, double thr) {
  const Metrics m = metrics_of(normal, spill, thr);
  p.normals = normal.size();
  p.spills = spill.size();
  if (!normal.empty()) p.tnr.push_back(m.tnr);
  if (!spill.empty()) p.tpr.push_back(m.tpr);
  if (!normal.empty() && !spill.empty()) p.auc.push_back(m.roc_auc);
}

// One model, or an ensemble of models whose scores are averaged.
struct Scorer {
  std::vector<std::unique_ptr<Detector>> detectors;
  std::vector<double> score(const std::vector<cv::Mat>& mats) {
    std::vector<double> sum(mats.size(), 0.0);
    for (auto& d : detectors) {
      const auto s = score_all(*d, mats);
      for (size_t i = 0; i < s.size(); ++i) sum[i] += s[i];
    }
    for (double& v : sum) v /= static_cast<double>(detectors.size());
    return sum;
  }
};

void write_preview(const std::string& path, const std::vector<cv::Mat>& normals, const std::vector<cv::Mat>& textures) {
  constexpr int kCols = 10, kScale = 3, kW = 50 * kScale, kH = 30 * kScale, kLabel = 150;
  const std::vector<std::string> rows{"original", "occluder", "box", "photometric", "mixed shift", "blob spill", "blend spill", "smooth spill"};
  cv::Mat canvas(static_cast<int>(rows.size()) * (kH + 4), kLabel + kCols * (kW + 4), CV_8UC3, cv::Scalar(255, 255, 255));
  Rng rng(12345);
  for (int c = 0; c < kCols && c < static_cast<int>(normals.size()); ++c) {
    const cv::Mat& src = normals[static_cast<size_t>(c) * normals.size() / kCols];
    const cv::Mat tex = textures.empty() ? cv::Mat() : textures[static_cast<size_t>(c) % textures.size()];
    const std::vector<cv::Mat> v{src.clone(), add_occluder(src, rng), jitter_box(src, rng), photometric(src, rng),
                                 random_shift(src, rng), add_blob_spill(src, rng), add_blend_spill(src, tex, rng), add_smooth_spill(src, rng)};
    for (size_t r = 0; r < v.size(); ++r) {
      cv::Mat big;
      cv::resize(v[r], big, {kW, kH}, 0, 0, cv::INTER_NEAREST);
      big.copyTo(canvas(cv::Rect(kLabel + c * (kW + 4), static_cast<int>(r) * (kH + 4), kW, kH)));
    }
  }
  for (size_t r = 0; r < rows.size(); ++r)
    cv::putText(canvas, rows[r], {6, static_cast<int>(r) * (kH + 4) + kH / 2 + 6}, cv::FONT_HERSHEY_SIMPLEX, 0.6,
                cv::Scalar(0, 0, 0), 1, cv::LINE_AA);
  if (!cv::imwrite(path, canvas)) throw std::runtime_error(path + ": cannot write preview");
}

// Histograms of the scores (one row per set) with the threshold marked: on a
// logit axis for probabilities, on a log axis when the scores span more than
// two decades (autoencoder errors).
void write_histogram(const std::string& path, const std::vector<std::pair<std::string, std::vector<double>>>& sets,
                     double thr, bool probability) {
  constexpr int kW = 900, kRowH = 110, kLeft = 190, kRight = 20, kTop = 30, kBins = 60;
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (const auto& [name, v] : sets)
    for (double x : v) lo = std::min(lo, x), hi = std::max(hi, x);
  lo = std::min(lo, thr);
  hi = std::max(hi, thr);
  const bool log_axis = !probability && lo > 0 && hi / lo > 100;
  auto axis = [&](double x) {
    if (probability) {
      const double p = std::clamp(x, 1e-7, 1 - 1e-7);
      return std::log(p / (1 - p));
    }
    return log_axis ? std::log10(std::max(x, 1e-12)) : x;
  };
  auto unaxis = [&](double v) {
    if (probability) return 1.0 / (1.0 + std::exp(-v));
    return log_axis ? std::pow(10.0, v) : v;
  };
  const double a = axis(lo), b = axis(hi) + 1e-12;
  const int plot_w = kW - kLeft - kRight;
  cv::Mat img(kTop + static_cast<int>(sets.size()) * kRowH + 40, kW, CV_8UC3, cv::Scalar(255, 255, 255));
  const cv::Scalar colours[] = {{60, 160, 60}, {40, 40, 220}, {200, 120, 40}, {40, 140, 230}, {160, 60, 160}};
  for (size_t r = 0; r < sets.size(); ++r) {
    std::vector<int> bins(kBins, 0);
    for (double x : sets[r].second)
      ++bins[std::clamp(static_cast<int>((axis(x) - a) / (b - a) * kBins), 0, kBins - 1)];
    const int peak = std::max(1, *std::max_element(bins.begin(), bins.end()));
    const int base_y = kTop + static_cast<int>(r + 1) * kRowH - 10;
    for (int i = 0; i < kBins; ++i) {
      const int h = static_cast<int>((kRowH - 25) * static_cast<double>(bins[i]) / peak);
      const int x0 = kLeft + i * plot_w / kBins, x1 = kLeft + (i + 1) * plot_w / kBins - 1;
      cv::rectangle(img, {x0, base_y - h}, {x1, base_y}, colours[r % 5], cv::FILLED);
    }
    cv::line(img, {kLeft, base_y}, {kW - kRight, base_y}, cv::Scalar(0, 0, 0));
    cv::putText(img, sets[r].first, {8, base_y - kRowH / 2 + 10}, cv::FONT_HERSHEY_SIMPLEX, 0.5, cv::Scalar(0, 0, 0), 1,
                cv::LINE_AA);
    cv::putText(img, fmt::format("n={}", sets[r].second.size()), {8, base_y - kRowH / 2 + 30},
                cv::FONT_HERSHEY_SIMPLEX, 0.45, cv::Scalar(80, 80, 80), 1, cv::LINE_AA);
  }
  const int tx = kLeft + static_cast<int>((axis(thr) - a) / (b - a) * plot_w);
  cv::line(img, {tx, kTop - 5}, {tx, img.rows - 35}, cv::Scalar(0, 0, 200), 2);
  cv::putText(img, fmt::format("threshold {:.4g}", thr), {std::min(tx + 5, kW - 170), kTop - 10},
              cv::FONT_HERSHEY_SIMPLEX, 0.5, cv::Scalar(0, 0, 200), 1, cv::LINE_AA);
  for (int t = 0; t <= 4; ++t) {
    const double v = a + (b - a) * t / 4;
    const int x = kLeft + plot_w * t / 4;
    cv::putText(img, fmt::format(probability ? "{:.6g}" : "{:.3g}", unaxis(v)), {x - 20, img.rows - 12},
                cv::FONT_HERSHEY_SIMPLEX, 0.45, cv::Scalar(0, 0, 0), 1, cv::LINE_AA);
  }
  cv::putText(img, probability ? "score (logit scale)" : (log_axis ? "score (log scale)" : "score"), {8, img.rows - 12}, cv::FONT_HERSHEY_SIMPLEX, 0.45,
              cv::Scalar(0, 0, 0), 1, cv::LINE_AA);
  if (!cv::imwrite(path, img)) throw std::runtime_error(path + ": cannot write histogram");
}

}  // namespace

int run_stress(const StressCommand& c) {
  return guarded([&] {
    const auto& o = c.common;
    if (c.seeds < 1) throw std::invalid_argument("--seeds must be at least 1");
    setup_runtime(o);
    std::vector<Crop> normal = load_dir(c.normal_dir, 0, o, "normal");
    std::vector<Crop> spills = load_dir(c.anomaly_dir, 1, o, "spills");
    if (size_t amb = drop_ambiguous(normal, spills))
      note(o, fmt::format("{} ambiguous image(s) left out of both sets", amb));

    std::vector<Part> parts{
        {"clean", "held-out normals vs spills of held-out wells", {}, {}, {}},
        {"occluder", "normals with an arm, hose or tool across vs real spills", {}, {}, {}},
        {"box", "normals with the crop box grown/shrunk/shifted 10-20% vs real spills", {}, {}, {}},
        {"photometric", "normals with brightness/contrast/blur changes vs real spills", {}, {}, {}},
        {"mixed-shift", "normals with 1-3 of the shifts vs real spills", {}, {}, {}},
        {"blob-spill", "held-out normals vs the same with a small bright/bluish blob at the lower edge", {}, {}, {}},
        {"blend-spill", "held-out normals vs the same with spill texture blended under a random mask", {}, {}, {}},
        {"smooth-spill", "held-out normals vs the same smoothed, bluish, with a thin spill at the lower edge", {}, {}, {}},
        {"stress", "mixed-shift normals vs real + blob + blend + smooth spills", {}, {}, {}},
    };
    auto part = [&](const std::string& n) -> Part& {
      for (auto& p : parts)
        if (p.name == n) return p;
      throw std::logic_error("no part " + n);
    };
    nlohmann::json per_model = nlohmann::json::array();
    bool previewed = false;
    // Each model alone, or (--ensemble) all of them as one whose score is the mean.
    std::vector<std::vector<std::string>> groups;
    if (c.ensemble) groups.push_back(c.models);
    else
      for (const auto& m : c.models) groups.push_back({m});
    for (const auto& group : groups) {
      Scorer det;
      for (const auto& m : group) det.detectors.push_back(std::make_unique<Detector>(Detector::open(m, o.device)));
      const ModelFile& mf = det.detectors.front()->model();
      const std::string path = group.size() == 1 ? group.front() : fmt::format("ensemble of {} models", group.size());
      double mean_thr = 0;
      int64_t params = 0, macs = 0;
      for (const auto& d : det.detectors) {
        if (group.size() > 1 && hash_set({d->model().provenance.test_hashes}) != hash_set({mf.provenance.test_hashes}))
          throw std::invalid_argument("--ensemble needs models trained on one split (the same --split-seed); " +
                                      group.front() + " and another differ");
        mean_thr += d->threshold() / static_cast<double>(group.size());
        params += parameter_count(*d->model().network);
        macs += d->model().network->multiply_adds();
      }
      const double thr = c.threshold >= 0 ? c.threshold : mean_thr;
      // The model's own held-out normals; else everything it did not train on.
      const std::set<std::string> test_h = hash_set({mf.provenance.test_hashes});
      const std::set<std::string> train_h = hash_set({mf.provenance.train_hashes});
      std::vector<cv::Mat> test_normals;
      for (const auto& cr : normal) {
        const std::string h = cr.sha256.substr(0, kHashChars);
        if (test_h.empty() ? train_h.count(h) == 0 : test_h.count(h) > 0) test_normals.push_back(cr.image);
      }
      if (test_normals.empty()) throw std::invalid_argument(path + ": none of the normal crops given is held out from this model");
      std::set<int> test_wells;
      test_wells.insert(mf.validation.test_spill_wells.begin(), mf.validation.test_spill_wells.end());
      std::vector<cv::Mat> test_spills, textures;
      for (const auto& cr : spills) (test_wells.empty() || test_wells.count(cr.group) ? test_spills : textures).push_back(cr.image);
      if (textures.empty()) textures = test_spills;
      note(o, fmt::format("{}: {} held-out normals, {} spills of held-out wells, threshold {:.6g}", path,
                          test_normals.size(), test_spills.size(), thr));
      if (!c.preview.empty() && !previewed) {
        write_preview(c.preview, test_normals, textures);
        previewed = true;
        note(o, "preview written to " + c.preview);
      }
      // Crops/s here: preprocessing and forward pass of the held-out normals, batches of 256.
      const auto t0 = std::chrono::steady_clock::now();
      const auto clean_n = det.score(test_normals);
      const double crops_per_s = static_cast<double>(test_normals.size()) /
                                 std::max(1e-9, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
      const auto clean_s = det.score(test_spills);
      record(part("clean"), clean_n, clean_s, thr);
      for (int seed = 1; seed <= c.seeds; ++seed) {
        Rng rng(static_cast<uint64_t>(seed) * 7777);
        std::map<std::string, std::vector<double>> normal_scores, spill_scores;
        for (auto kind : {ShiftKind::Occluder, ShiftKind::Box, ShiftKind::Photometric}) {
          std::vector<cv::Mat> v;
          for (const auto& m : test_normals) v.push_back(apply_shift(m, kind, rng));
          record(part(to_string(kind)), det.score(v), clean_s, thr);
        }
        std::vector<cv::Mat> mixed, blob, blend;
        for (const auto& m : test_normals) mixed.push_back(random_shift(m, rng));
        std::uniform_int_distribution<size_t> pick(0, textures.size() - 1);
        for (const auto& m : test_normals) {
          blob.push_back(add_blob_spill(m, rng));
          blend.push_back(add_blend_spill(m, textures[pick(rng)], rng));
        }
        // Drawn after the others, so adding it left their draws as they were.
        std::vector<cv::Mat> smooth;
        for (const auto& m : test_normals) smooth.push_back(add_smooth_spill(m, rng));
        const auto mixed_s = det.score(mixed), blob_s = det.score(blob), blend_s = det.score(blend);
        const auto smooth_s = det.score(smooth);
        if (!c.histogram.empty() && seed == 1 && per_model.empty())
          write_histogram(c.histogram,
                          {{"held-out normals", clean_n}, {"shifted normals", mixed_s}, {"real spills", clean_s},
                           {"blob spills", blob_s}, {"blend spills", blend_s}, {"smooth spills", smooth_s}},
                          thr, mf.score.kind == ScoreKind::Probability);
        if (!c.report.empty() && seed == 1 && per_model.empty()) {
          ReportData rd{"stress", path, thr, {}, nullptr};
          const auto add = [&](const std::vector<cv::Mat>& imgs, const std::vector<double>& sc, int label,
                               const char* part) {
            for (size_t k = 0; k < imgs.size() && k < sc.size(); ++k)
              rd.crops.push_back({fmt::format("{} #{}", part, k + 1), part, label, sc[k], imgs[k], -1});
          };
          add(test_normals, clean_n, 0, "held-out normals");
          add(mixed, mixed_s, 0, "shifted normals");
          add(test_spills, clean_s, 1, "real spills");
          add(blob, blob_s, 1, "blob spills");
          add(blend, blend_s, 1, "blend spills");
          add(smooth, smooth_s, 1, "smooth spills");
          write_report(rd, *det.detectors.front(), c.report);
          note(o, "report written to " + c.report);
        }
        record(part("mixed-shift"), mixed_s, clean_s, thr);
        record(part("blob-spill"), clean_n, blob_s, thr);
        record(part("blend-spill"), clean_n, blend_s, thr);
        record(part("smooth-spill"), clean_n, smooth_s, thr);
        std::vector<double> all_s(clean_s);
        all_s.insert(all_s.end(), blob_s.begin(), blob_s.end());
        all_s.insert(all_s.end(), blend_s.begin(), blend_s.end());
        all_s.insert(all_s.end(), smooth_s.begin(), smooth_s.end());
        record(part("stress"), mixed_s, all_s, thr);
        if (!o.quiet) fmt::print(stderr, "  seed {}/{} done\n", seed, c.seeds);
      }
      const TrainingRecord& tr = mf.training;
      const bool shifted = tr.augment == "shifts" || mf.arch == "spill-cnn";
      per_model.push_back({{"model", path},
                           {"threshold", thr},
                           {"arch", mf.arch},
                           {"color", to_string(mf.preprocess.color)},
                           {"size", fmt::format("{}x{}", mf.preprocess.width, mf.preprocess.height)},
                           {"parameters", params},
                           {"multiply_adds_per_crop", macs},
                           {"crops_per_second", crops_per_s},
                           {"seed", tr.seed},
                           {"trained_shifts", !tr.shifts.empty() ? tr.shifts : shifted ? "occluder,box,photometric" : "none"},
                           {"trained_synthetic", !tr.synthetic.empty()            ? tr.synthetic
                                                 : mf.arch == "spill-cnn" ? "blob,blend"
                                                                          : "none"}});
    }
    fmt::print("stress validation: {} model(s) x {} seed(s); threshold = each model's recorded one unless overridden\n",
               c.models.size(), c.seeds);
    fmt::print("| {:<40} | {:>10} | {:>10} | {:>10} | {:>9} | {:<24} | {:<10} |\n", "model", "threshold", "parameters",
               "mult-adds", "crops/s", "trained with shifts", "synthetic");
    fmt::print("|{:-<42}|{:->12}|{:->12}|{:->12}|{:->11}|{:-<26}|{:-<12}|\n", "", "", "", "", "", "", "");
    for (const auto& m : per_model)
      fmt::print("| {:<40} | {:>10.6g} | {:>10} | {:>10} | {:>9.0f} | {:<24} | {:<10} |\n",
                 std::filesystem::path(m["model"].get<std::string>()).filename().string(), m["threshold"].get<double>(),
                 m["parameters"].get<int64_t>(), m["multiply_adds_per_crop"].get<int64_t>(),
                 m["crops_per_second"].get<double>(), m["trained_shifts"].get<std::string>(),
                 m["trained_synthetic"].is_string() ? m["trained_synthetic"].get<std::string>() : "none");
    fmt::print("\n");
    fmt::print("| {:<12} | {:>7} | {:>7} | {:>17} | {:>17} | {:>17} |\n", "part", "normals", "spills", "TPR", "TNR", "ROC AUC");
    fmt::print("|{:-<14}|{:->9}|{:->9}|{:->19}|{:->19}|{:->19}|\n", "", "", "", "", "", "");
    nlohmann::json j = {{"models", per_model}, {"seeds", c.seeds}, {"parts", nlohmann::json::object()}};
    for (const auto& p : parts) {
      fmt::print("| {:<12} | {:>7} | {:>7} | {:>17} | {:>17} | {:>17} |\n", p.name, p.normals, p.spills, cell(p.tpr),
                 cell(p.tnr), cell(p.auc));
      auto js = [](const std::vector<double>& v) {
        auto [m, s] = mean_sd(v);
        return std::isfinite(m) ? nlohmann::json{{"mean", m}, {"sd", s}, {"n", v.size()}} : nlohmann::json();
      };
      j["parts"][p.name] = {{"what", p.what}, {"normals", p.normals}, {"spills", p.spills},
                            {"tpr", js(p.tpr)}, {"tnr", js(p.tnr)}, {"roc_auc", js(p.auc)}};
    }
    if (!c.json_out.empty()) {
      std::ofstream f(c.json_out);
      if (!f) throw std::runtime_error(c.json_out + ": cannot write");
      f << j.dump(2) << "\n";
    }
    return 0;
  });
}

}  // namespace wellmonitor
