// `crossval`: the plain recipe, trained and validated on the plant's other days
// by group-wise cross-validation; or existing models scored on those days fold
// by fold.
#include <opencv2/imgcodecs.hpp>
#include <fmt/core.h>
#include <fmt/ranges.h>

#include <array>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <chrono>
#include <set>

#include <unistd.h>

#include "commands.h"
#include "common.h"
#include "progress.h"
#include "recipe.h"
#include "wellmonitor/augment.h"
#include "wellmonitor/calibration.h"
#include "wellmonitor/dataset.h"
#include "wellmonitor/detector.h"
#include "wellmonitor/device.h"
#include "wellmonitor/folds.h"
#include "wellmonitor/layout.h"
#include "wellmonitor/model_file.h"
#include "wellmonitor/training.h"
#include "wellmonitor/version.h"

namespace wellmonitor {

namespace {

struct OtherDays {
  GroupedSet set;
  std::vector<int> fold;
  torch::Tensor x;  // preprocessed, for the model being trained or scored
};

std::string pm(const std::vector<double>& v) {
  const auto [m, sd] = mean_sd(v);
  return fmt::format("{} ± {}", fmt_rate(m), fmt_rate(sd));
}

struct FoldFigure {
  int fold = 0;
  uint64_t seed = 0;
  Metrics m;
};

nlohmann::json figure_json(const FoldFigure& f) {
  nlohmann::json j = f.m.to_json();
  j["fold"] = f.fold;
  j["seed"] = f.seed;
  return j;
}

void print_fold_table(const std::vector<FoldFigure>& figs) {
  fmt::print("{:>4} {:>5} {:>9} {:>6} {:>4} {:>4} {:>5} {:>4} {:>7} {:>7} {:>8} {:>7}\n", "fold", "seed", "threshold",
             "n", "TP", "FN", "TN", "FP", "TPR", "TNR", "ROC-AUC", "PR-AUC");
  for (const auto& f : figs)
    fmt::print("{:>4} {:>5} {:>9.4g} {:>6} {:>4} {:>4} {:>5} {:>4} {:>7} {:>7} {:>8} {:>7}\n", f.fold, f.seed,
               f.m.threshold, f.m.n, f.m.tp, f.m.fn, f.m.tn, f.m.fp, fmt_rate(f.m.tpr), fmt_rate(f.m.tnr),
               fmt_rate(f.m.roc_auc), fmt_rate(f.m.pr_auc));
}

// Each figure's TPR, TNR, ROC AUC and PR AUC, one vector each.
std::array<std::vector<double>, 4> rates(const std::vector<FoldFigure>& figs) {
  std::array<std::vector<double>, 4> r;
  for (const auto& f : figs) {
    r[0].push_back(f.m.tpr);
    r[1].push_back(f.m.tnr);
    r[2].push_back(f.m.roc_auc);
    r[3].push_back(f.m.pr_auc);
  }
  return r;
}

nlohmann::json summary_json(const std::vector<FoldFigure>& figs) {
  auto ms = [](const std::vector<double>& v) {
    const auto [m, sd] = mean_sd(v);
    return nlohmann::json{{"mean", m}, {"sd", sd}};
  };
  const auto r = rates(figs);
  return {{"tpr", ms(r[0])}, {"tnr", ms(r[1])}, {"roc_auc", ms(r[2])}, {"pr_auc", ms(r[3])}};
}

void print_summary(const std::vector<FoldFigure>& figs, const std::string& what) {
  const auto r = rates(figs);
  fmt::print("{}: TPR {}  TNR {}  ROC-AUC {}  PR-AUC {}\n", what, pm(r[0]), pm(r[1]), pm(r[2]), pm(r[3]));
}

// Figures of each fold's crops at `thr[fold]`.
std::vector<FoldFigure> per_fold(const OtherDays& od, const std::vector<double>& scores, int folds, uint64_t seed,
                                 const std::vector<double>& thr) {
  std::vector<FoldFigure> out;
  for (int f = 0; f < folds; ++f) {
    std::vector<double> s;
    std::vector<int> l;
    for (size_t i = 0; i < scores.size(); ++i)
      if (od.fold[i] == f) {
        s.push_back(scores[i]);
        l.push_back(od.set.crops[i].label);
      }
    out.push_back({f, seed, compute_metrics(s, l, thr[static_cast<size_t>(f)])});
  }
  return out;
}

// Out-of-fold scores pooled over seeds, split by label; `skip_fold` (>= 0) leaves one fold out.
std::pair<std::vector<double>, std::vector<double>> pooled(const OtherDays& od,
                                                           const std::vector<std::vector<double>>& oof, int skip_fold) {
  std::vector<double> n, s;
  for (const auto& scores : oof)
    for (size_t i = 0; i < scores.size(); ++i) {
      if (od.fold[i] == skip_fold) continue;
      (od.set.crops[i].label ? s : n).push_back(scores[i]);
    }
  return {n, s};
}

// As above, with the out-of-fold scores of the crops' H.264 copies added
// ([seed][copy][crop]) when `with_copies`.
std::pair<std::vector<double>, std::vector<double>> pooled(const OtherDays& od,
                                                           const std::vector<std::vector<double>>& oof,
                                                           const std::vector<std::vector<std::vector<double>>>& copies,
                                                           bool with_copies, int skip_fold) {
  auto ns = pooled(od, oof, skip_fold);
  if (with_copies)
    for (const auto& per_seed : copies) {
      const auto [n, s] = pooled(od, per_seed, skip_fold);
      ns.first.insert(ns.first.end(), n.begin(), n.end());
      ns.second.insert(ns.second.end(), s.begin(), s.end());
    }
  return ns;
}

// The images at `idx`, preprocessed.
torch::Tensor images_tensor(const std::vector<cv::Mat>& images, const std::vector<size_t>& idx,
                            const PreprocessConfig& pc) {
  std::vector<cv::Mat> v;
  for (size_t i : idx) v.push_back(images[i]);
  return preprocess_batch(v, pc);
}

std::set<std::string> short_hash_set(const std::vector<Crop>& crops) {
  std::set<std::string> h;
  for (const auto& c : crops) h.insert(c.sha256.substr(0, kHashChars));
  return h;
}

OtherDays load_otherdays(const CrossvalCommand& c) {
  OtherDays od;
  LoadOptions lo;
  lo.skip_bad = c.common.skip_bad;
  LoadReport rep;
  od.set = load_grouped(c.otherdays_dir, lo, &rep);
  for (const auto& b : rep.bad) warn(fmt::format("skipped {}", b));
  od.fold = group_folds(od.set.crops, od.set.groups, c.folds, c.fold_seed);
  size_t spills = 0;
  std::set<std::string> groups(od.set.groups.begin(), od.set.groups.end());
  for (const auto& cr : od.set.crops) spills += cr.label;
  note(c.common, fmt::format("other days: {} crops ({} spills, {} normals) in {} groups, {} folds by group",
                             od.set.crops.size(), spills, od.set.crops.size() - spills, groups.size(), c.folds));
  for (int f = 0; f < c.folds; ++f) {
    size_t n = 0, s = 0;
    for (size_t i = 0; i < od.fold.size(); ++i)
      if (od.fold[i] == f) (od.set.crops[i].label ? s : n)++;
    note(c.common, fmt::format("  fold {}: {} normals, {} spills", f, n, s));
  }
  return od;
}

// Scores existing models on the other days, fold by fold, at each model's threshold.
int crossval_models(const CrossvalCommand& c) {
  OtherDays od = load_otherdays(c);
  const std::set<std::string> od_hashes = short_hash_set(od.set.crops);
  nlohmann::json out = nlohmann::json::array();
  for (const auto& path : c.models) {
    Detector det = Detector::open(path, c.common.device);
    const std::set<std::string> trained = hash_set({det.model().provenance.train_hashes, det.model().provenance.train_spill_hashes});
    size_t seen = 0;
    for (const auto& h : od_hashes) seen += trained.count(h);
    fmt::print("model {} ({}), threshold {:.6g}\n", path, det.model().arch, det.threshold());
    if (seen) {
      const nlohmann::json& recorded = det.model().validation.otherdays_cv;
      if (!recorded.is_null()) {
        fmt::print("  trained on {} of these crops: its honest figures are the cross-validated ones it records:\n",
                   seen);
        fmt::print("{}\n", recorded.value("summary", nlohmann::json()).dump(2));
        out.push_back({{"model", path}, {"trained_on", seen}, {"recorded", recorded}});
        continue;
      }
      throw std::invalid_argument(
          fmt::format("{}: trained on {} of the other days' crops; figures on them would be "
                      "optimistic (cross-validate the recipe instead)",
                      path, seen));
    }
    const double thr = c.threshold >= 0 ? c.threshold : det.threshold();
    const auto scores =
        score_with_progress(det, to_tensor(od.set.crops, all_indices(od.set.crops.size()), det.model().preprocess),
                            c.common, "scoring other days");
    const auto figs = per_fold(od, scores, c.folds, 0, std::vector<double>(static_cast<size_t>(c.folds), thr));
    print_fold_table(figs);
    print_summary(figs, "  over folds");
    std::vector<int> labels;
    for (const auto& cr : od.set.crops) labels.push_back(cr.label);
    const Metrics all = compute_metrics(scores, labels, thr);
    print_metrics("  all other days", all);
    nlohmann::json j = {{"model", path}, {"threshold", thr}, {"all", all.to_json()}, {"summary", summary_json(figs)}};
    for (const auto& f : figs) j["folds"].push_back(figure_json(f));
    out.push_back(j);
  }
  if (!c.json_out.empty()) {
    std::ofstream f(c.json_out);
    if (!f) throw std::runtime_error(c.json_out + ": cannot write");
    f << out.dump(2) << "\n";
  }
  return 0;
}

// A fold model a --save-folds wrote: fold-F-seed-S.wmm in `dir`, refused when
// it trained on any crop of the fold it is to score.
ModelFile load_fold_model(const std::string& dir, int fold, uint64_t seed, const OtherDays& od,
                          const std::vector<size_t>& fold_crops) {
  const std::string path = fmt::format("{}/fold-{}-seed-{}.wmm", dir, fold, seed);
  if (!std::filesystem::exists(path))
    throw std::invalid_argument(fmt::format("{}: no such fold model (--fold-models takes the folder a --save-folds "
                                            "wrote, with the same --folds, --fold-seed, --seed and --seeds)",
                                            path));
  ModelFile m = load_model(path);
  const std::set<std::string> trained = hash_set({m.provenance.train_hashes, m.provenance.train_otherdays_hashes});
  size_t seen = 0;
  for (size_t i : fold_crops) seen += trained.count(od.set.crops[i].sha256.substr(0, kHashChars));
  if (seen)
    throw std::invalid_argument(fmt::format("{}: trained on {} of fold {}'s crops; it cannot score that fold "
                                            "(other --folds or --fold-seed than the run that wrote it?)",
                                            path, seen, fold));
  return m;
}

// --augment h264: every training image shown in the camera's frame and sent
// through H.264, --codec-copies times (each copy its own schedule).
void make_h264_copies(const CrossvalCommand& c, RecipeData& d) {
  if (c.codec_frame.empty() || c.codec_wells.empty())
    throw std::invalid_argument("--augment h264 needs --codec-frame (a camera frame) and --codec-wells (its layout)");
  CodecScene scene;
  scene.background = cv::imread(c.codec_frame, cv::IMREAD_COLOR);
  if (scene.background.empty()) throw std::invalid_argument(c.codec_frame + ": not a readable picture");
  const WellLayout layout = load_layout(c.codec_wells);
  scene.boxes = layout.scaled(scene.background.cols, scene.background.rows);
  // As a static well over a few seconds: runs of 1-3 showings of 3-6 frames, gain +-3%.
  scene.min_hold = 3;
  scene.max_hold = 6;
  scene.min_run = 1;
  scene.max_run = 3;
  scene.gain_jitter = 0.03;
  std::vector<cv::Mat> all;
  for (const auto* v : {&d.normal_images, &d.spill_images, &d.od_images}) all.insert(all.end(), v->begin(), v->end());
  const auto scratch = std::filesystem::temp_directory_path() / fmt::format("wellmonitor-h264-{}", ::getpid());
  for (int k = 0; k < c.codec_copies; ++k) {
    const auto t0 = std::chrono::steady_clock::now();
    Rng rng(c.seed * 0x9e3779b97f4a7c15ULL + static_cast<uint64_t>(k) + 1);
    const std::vector<cv::Mat> out = codec_round_trip(all, scene, rng, scratch.string());
    auto it = out.begin();
    for (auto [src, dst] : {std::pair{&d.normal_images, &d.normal_h264}, std::pair{&d.spill_images, &d.spill_h264},
                            std::pair{&d.od_images, &d.od_h264}}) {
      dst->emplace_back(it, it + static_cast<std::ptrdiff_t>(src->size()));
      it += static_cast<std::ptrdiff_t>(src->size());
    }
    note(c.common, fmt::format("H.264 copy {}/{} of {} crops in {} wells of {}: {:.0f} s", k + 1, c.codec_copies,
                               all.size(), scene.boxes.size(), c.codec_frame,
                               std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()));
  }
}

}  // namespace

int run_crossval(const CrossvalCommand& c) {
  return guarded([&] {
    const auto& o = c.common;
    setup_runtime(o);
    if (!c.models.empty()) return crossval_models(c);
    if (c.normal_dir.empty() || c.anomaly_dir.empty())
      throw std::invalid_argument("crossval trains the recipe: give --normal and --anomalies (or --model to score)");
    if (c.seeds < 1) throw std::invalid_argument("--seeds must be at least 1");
    const bool rescore = !c.fold_models.empty();
    if (!c.final_model.empty() && (!rescore || c.out.empty()))
      throw std::invalid_argument("--final goes with --fold-models and --out: the model trained on every fold, "
                                  "written to --out with the new threshold");
    if (rescore && !c.out.empty() && c.final_model.empty())
      throw std::invalid_argument("--fold-models with --out needs --final (the recipe's model trained on every "
                                  "fold): nothing is trained in this mode");
    if (rescore && c.recipe.augment.find("h264") != std::string::npos)
      throw std::invalid_argument("--fold-models scores saved fold models: --augment h264 copies are not made");
    const bool use_od = c.recipe.od_normal_share > 0 || c.recipe.od_spill_share > 0;
    if (rescore && !use_od)
      throw std::invalid_argument("--fold-models: this recipe never sees the other days, so it has no fold models");
    // Every model this run scores or writes scores as --mirror says.
    auto test_time = [&](ModelFile& m) {
      m.score.mirror = c.mirror;
      m.score.mirror_above = c.mirror_above;
    };
    if (!c.out.empty()) {
      std::error_code ec;
      if (std::filesystem::is_directory(c.out, ec)) throw std::invalid_argument(c.out + ": --out names a folder");
    }
    const PreprocessConfig pc = parse_preprocess(c.recipe.color, c.recipe.size);
    const torch::Device device = resolve_device(o.device);
    note(o, fmt::format("device: {}", describe_device(device)));

    OtherDays od = load_otherdays(c);
    std::vector<Crop> normal = load_dir(c.normal_dir, 0, o, "normal");
    std::vector<Crop> spills = load_dir(c.anomaly_dir, 1, o, "spills");
    if (size_t amb = drop_ambiguous(normal, spills))
      warn(fmt::format("{} image(s) appear among both normals and spills; left out of both as ambiguous", amb));
    // A recorded-day crop identical to an other-day crop would let a fold model
    // see its own validation crop: leave such crops out of the recorded days.
    {
      std::set<std::string> h;
      for (const auto& cr : od.set.crops) h.insert(cr.sha256);
      size_t dropped = 0;
      for (auto* v : {&normal, &spills}) {
        const size_t before = v->size();
        v->erase(std::remove_if(v->begin(), v->end(), [&](const Crop& cr) { return h.count(cr.sha256) > 0; }),
                 v->end());
        dropped += before - v->size();
      }
      if (dropped) note(o, fmt::format("left out {} recorded-day crop(s) identical to other-day crops", dropped));
    }
    const NormalSplit ns = split_normals(normal, {0.0, 0.0, c.test_fraction}, c.seed);
    std::vector<size_t> train_idx;
    for (size_t k = 0; k < ns.train.size(); k += static_cast<size_t>(c.normal_stride)) train_idx.push_back(ns.train[k]);
    note(o, fmt::format("recorded days: {} training normals (every {} of {}), {} test normals held out, {} spills",
                        train_idx.size(), c.normal_stride, ns.train.size(), ns.test.size(), spills.size()));

    RecipeData d;
    if (!rescore) {
      d.normal = to_tensor(normal, train_idx, pc);
      d.spills = to_tensor(spills, all_indices(spills.size()), pc);
    }
    d.od = to_tensor(od.set.crops, all_indices(od.set.crops.size()), pc);
    for (const auto& cr : od.set.crops) d.od_label.push_back(cr.label);
    const bool h264 = c.recipe.augment.find("h264") != std::string::npos;
    if (!rescore && (c.recipe.augment.find("video") != std::string::npos ||
                     c.recipe.augment.find("matrix") != std::string::npos || h264)) {
      for (size_t i : train_idx) d.normal_images.push_back(normal[i].image);
      for (const auto& cr : spills) d.spill_images.push_back(cr.image);
      for (const auto& cr : od.set.crops) d.od_images.push_back(cr.image);
    }
    if (h264) make_h264_copies(c, d);
    // Every crop the recipe's final model trains on (its provenance's train_hashes).
    auto final_trained = [&] {
      std::set<std::string> h;
      for (const auto& x : short_hashes(normal, train_idx)) h.insert(x.get<std::string>());
      if (use_od)
        for (const auto& cr : od.set.crops) h.insert(cr.sha256.substr(0, kHashChars));
      return h;
    };
    ModelFile final_model;
    if (rescore && !c.final_model.empty()) {
      // Checked before any scoring: the final model must be this recipe's on
      // these data, or the figures written into it are not its own.
      final_model = load_model(c.final_model);
      const auto& t = final_model.provenance.train_hashes;
      const std::set<std::string> was(t.begin(), t.end()), is = final_trained();
      if (was != is)
        throw std::invalid_argument(fmt::format(
            "{}: trained on other crops than this run's recipe would ({} against {}): give the --normal, "
            "--anomalies, --normal-stride, --test-fraction and --seed it was trained with",
            c.final_model, was.size(), is.size()));
    }

    // Out-of-fold scores, one vector per seed; the fold models, with --save-folds.
    std::vector<std::vector<double>> oof;
    // With --augment h264: the out-of-fold scores of the other days' H.264 copies, [seed][copy][crop].
    std::vector<std::vector<std::vector<double>>> oof_h264;
    const size_t n_copies = d.od_h264.size();
    std::vector<std::pair<std::pair<int, uint64_t>, ModelFile>> fold_models;
    if (!c.save_folds.empty()) std::filesystem::create_directories(c.save_folds);
    for (int s = 0; s < c.seeds; ++s) {
      const uint64_t seed = c.seed + static_cast<uint64_t>(s);
      std::vector<double> scores(od.set.crops.size(), std::nan(""));
      std::vector<std::vector<double>> copy_scores(n_copies, std::vector<double>(od.set.crops.size(), std::nan("")));
      if (!use_od) {
        // The recipe never sees the other days: one model scores all of them.
        ModelFile m = train_plain_recipe(c.recipe, d, {}, seed, device, fmt::format("seed {}", seed), c.common.quiet);
        test_time(m);
        Detector det(m, device);
        scores = score_all(det, d.od);
        for (size_t k = 0; k < n_copies; ++k)
          copy_scores[k] = score_all(det, images_tensor(d.od_h264[k], all_indices(od.set.crops.size()), pc));
      } else {
        for (int f = 0; f < c.folds; ++f) {
          std::vector<size_t> tr, va;
          for (size_t i = 0; i < od.fold.size(); ++i) (od.fold[i] == f ? va : tr).push_back(i);
          ModelFile m = rescore ? load_fold_model(c.fold_models, f, seed, od, va)
                                : train_plain_recipe(c.recipe, d, tr, seed, device,
                                                     fmt::format("fold {}/{} seed {}", f + 1, c.folds, seed),
                                                     c.common.quiet);
          test_time(m);
          Detector det(m, device);
          const auto sv = score_all(det, to_tensor(od.set.crops, va, pc));
          for (size_t k = 0; k < va.size(); ++k) scores[va[k]] = sv[k];
          for (size_t k = 0; k < n_copies; ++k) {
            const auto cv = score_all(det, images_tensor(d.od_h264[k], va, pc));
            for (size_t j = 0; j < va.size(); ++j) copy_scores[k][va[j]] = cv[j];
          }
          if (!c.save_folds.empty() && rescore) {
            fold_models.push_back({{f, seed}, std::move(m)});  // its provenance as it was written
          } else if (!c.save_folds.empty()) {
            std::vector<size_t> od_tr(tr);
            m.provenance = ProvenanceRecord::from_json({{"trainer_version", WELLMONITOR_VERSION},
                                                        {"date", now_iso8601()},
                                                        {"fold", f},
                                                        {"train_hashes", short_hashes(normal, train_idx)},
                                                        {"train_spill_hashes", short_hashes(spills, all_indices(spills.size()))},
                                                        {"train_otherdays_hashes", short_hashes(od.set.crops, od_tr)}});
            auto& p = m.provenance;
            p.train_hashes.insert(p.train_hashes.end(), p.train_otherdays_hashes.begin(), p.train_otherdays_hashes.end());
            fold_models.push_back({{f, seed}, std::move(m)});
          }
        }
      }
      oof.push_back(std::move(scores));
      oof_h264.push_back(std::move(copy_scores));
    }
    const bool cal_copies = c.calibrate_on == "crops+h264";
    if (cal_copies && n_copies == 0)
      throw std::invalid_argument("--calibrate-on crops+h264 needs --augment h264 (the crops' H.264 copies)");

    // Each fold's figures at a threshold chosen without that fold: the rule on
    // the other folds' out-of-fold scores (or the fixed --threshold).
    std::vector<double> fold_thr;
    for (int f = 0; f < c.folds; ++f) {
      if (c.threshold >= 0) {
        fold_thr.push_back(c.threshold);
        continue;
      }
      const auto [n, s] = pooled(od, oof, oof_h264, cal_copies, f);
      fold_thr.push_back(calibrate(c.method, n, s, c.false_alarm_rate).threshold);
    }
    std::vector<FoldFigure> figs;
    for (int s = 0; s < c.seeds; ++s) {
      auto f = per_fold(od, oof[static_cast<size_t>(s)], c.folds, c.seed + static_cast<uint64_t>(s), fold_thr);
      figs.insert(figs.end(), f.begin(), f.end());
    }
    fmt::print(
        "other days, group-wise {}-fold cross-validation, {} seed(s); each fold at a threshold chosen on the "
        "other folds' out-of-fold scores ({}):\n",
        c.folds, c.seeds, c.threshold >= 0 ? fmt::format("fixed {}", c.threshold) : c.method);
    print_fold_table(figs);
    print_summary(figs, "over folds and seeds");
    std::vector<Metrics> pooled_m;
    std::vector<int> labels;
    for (const auto& cr : od.set.crops) labels.push_back(cr.label);
    for (int s = 0; s < c.seeds; ++s) {
      // Pooled: every crop at its own fold's threshold.
      size_t tp = 0, fn = 0, tn = 0, fp = 0;
      for (const auto& f : figs)
        if (f.seed == c.seed + static_cast<uint64_t>(s)) {
          tp += f.m.tp;
          fn += f.m.fn;
          tn += f.m.tn;
          fp += f.m.fp;
        }
      Metrics m = compute_metrics(oof[static_cast<size_t>(s)], labels, 0.5);  // its AUCs; counts below
      m.tp = tp, m.fn = fn, m.tn = tn, m.fp = fp;
      m.tpr = static_cast<double>(tp) / static_cast<double>(std::max<size_t>(1, tp + fn));
      m.tnr = static_cast<double>(tn) / static_cast<double>(std::max<size_t>(1, tn + fp));
      m.threshold = std::nan("");
      print_metrics(fmt::format("pooled out-of-fold seed {}", c.seed + static_cast<uint64_t>(s)), m);
      pooled_m.push_back(m);
    }

    // The same folds' H.264 copies at the same thresholds: what the element sees
    // of those crops through a camera's stream.
    std::vector<FoldFigure> copy_figs;
    for (int s = 0; s < c.seeds; ++s)
      for (size_t k = 0; k < n_copies; ++k) {
        auto f = per_fold(od, oof_h264[static_cast<size_t>(s)][k], c.folds, c.seed + static_cast<uint64_t>(s), fold_thr);
        copy_figs.insert(copy_figs.end(), f.begin(), f.end());
      }
    if (!copy_figs.empty()) {
      size_t tp = 0, fn = 0, tn = 0, fp = 0;
      for (const auto& f : copy_figs) tp += f.m.tp, fn += f.m.fn, tn += f.m.tn, fp += f.m.fp;
      print_summary(copy_figs, fmt::format("their {} H.264 copies, same thresholds", n_copies));
      fmt::print("  pooled over seeds and copies: TP={} FN={} TN={} FP={}\n", tp, fn, tn, fp);
    }

    // The shipped threshold: the rule on all out-of-fold scores.
    const auto [all_n, all_s] = pooled(od, oof, oof_h264, cal_copies, -1);
    Calibration cal;
    if (c.threshold >= 0) {
      cal.method = "fixed";
      cal.threshold = c.threshold;
      const Metrics m = metrics_of(all_n, all_s, c.threshold);
      cal.tnr = m.tnr;
      cal.tpr = m.tpr;
      cal.n_normal = all_n.size();
      cal.n_anomaly = all_s.size();
    } else {
      cal = calibrate(c.method, all_n, all_s, c.false_alarm_rate);
    }
    for (auto& [key, m] : fold_models) {
      const auto [f, seed] = key;
      m.calibration = Calibration{};
      m.calibration.method = c.threshold >= 0 ? "fixed" : c.method + " on the other folds' out-of-fold scores";
      m.calibration.threshold = fold_thr[static_cast<size_t>(f)];
      save_model(m, fmt::format("{}/fold-{}-seed-{}.wmm", c.save_folds, f, seed));
    }
    for (int f = 0; f < c.folds && !c.save_folds.empty(); ++f) {
      std::ofstream labels(fmt::format("{}/fold-{}.labels.txt", c.save_folds, f)),
          groups(fmt::format("{}/fold-{}.groups.txt", c.save_folds, f));
      for (size_t i = 0; i < od.set.crops.size(); ++i)
        if (od.fold[i] == f) {
          labels << od.set.crops[i].name << ' ' << od.set.crops[i].label << '\n';
          groups << od.set.crops[i].name << ' ' << od.set.groups[i] << '\n';
        }
      if (!labels || !groups) throw std::runtime_error(c.save_folds + ": cannot write the fold lists");
    }
    if (!c.save_folds.empty()) note(o, fmt::format("fold models and crop lists written to {}", c.save_folds));
    const auto [thr_m, thr_sd] = mean_sd(fold_thr);
    fmt::print(
        "threshold {:.6g} ({} on {} out-of-fold normal and {} spill scores); the folds' thresholds {:.4g} ± {:.4g}\n",
        cal.threshold, cal.method, all_n.size(), all_s.size(), thr_m, thr_sd);

    nlohmann::json cv = {{"folds", c.folds},
                         {"seeds", c.seeds},
                         {"fold_seed", c.fold_seed},
                         {"method", c.threshold >= 0 ? "fixed" : c.method},
                         {"far", c.method == "quantile" ? c.false_alarm_rate : 0.0},
                         {"fold_thresholds", fold_thr},
                         {"summary", summary_json(figs)},
                         {"note",
                          "other days split by near-duplicate group (groups sharing a byte-identical crop "
                          "merged); each fold scored by a model that never trained on it, at a threshold "
                          "chosen on the other folds' out-of-fold scores"}};
    for (const auto& f : figs) cv["per_fold"].push_back(figure_json(f));
    if (!copy_figs.empty()) {
      cv["h264_copies"] = {{"copies", n_copies}, {"summary", summary_json(copy_figs)}};
      cv["calibrated_on"] = c.calibrate_on;
      for (const auto& f : copy_figs) cv["h264_copies"]["per_fold"].push_back(figure_json(f));
    }
    for (const auto& m : pooled_m) cv["pooled"].push_back(m.to_json());
    if (!c.scores_out.empty()) {
      std::ofstream f(c.scores_out);
      if (!f) throw std::runtime_error(c.scores_out + ": cannot write");
      f << "file,label,group,fold,seed,score\n";
      for (int s = 0; s < c.seeds; ++s)
        for (size_t i = 0; i < od.set.crops.size(); ++i)
          f << od.set.crops[i].name << ',' << od.set.crops[i].label << ',' << od.set.groups[i] << ',' << od.fold[i]
            << ',' << c.seed + static_cast<uint64_t>(s) << ',' << fmt::format("{:.9g}", oof[static_cast<size_t>(s)][i])
            << '\n';
      if (n_copies > 0) {
        // The H.264 copies' scores beside it: <name>-h264.csv, one more column.
        std::filesystem::path hp(c.scores_out);
        hp.replace_filename(hp.stem().string() + "-h264" + hp.extension().string());
        std::ofstream h(hp);
        if (!h) throw std::runtime_error(hp.string() + ": cannot write");
        h << "file,label,group,fold,seed,copy,score\n";
        for (int s = 0; s < c.seeds; ++s)
          for (size_t k = 0; k < n_copies; ++k)
            for (size_t i = 0; i < od.set.crops.size(); ++i)
              h << od.set.crops[i].name << ',' << od.set.crops[i].label << ',' << od.set.groups[i] << ','
                << od.fold[i] << ',' << c.seed + static_cast<uint64_t>(s) << ',' << k + 1 << ','
                << fmt::format("{:.9g}", oof_h264[static_cast<size_t>(s)][k][i]) << '\n';
      }
    }
    if (!c.json_out.empty()) {
      std::ofstream f(c.json_out);
      if (!f) throw std::runtime_error(c.json_out + ": cannot write");
      f << cv.dump(2) << "\n";
    }
    if (c.out.empty()) return 0;

    // The model to ship: the same recipe on every fold, seed --seed.
    std::vector<size_t> all_od = use_od ? all_indices(od.set.crops.size()) : std::vector<size_t>{};
    ModelFile model = rescore ? std::move(final_model)
                              : train_plain_recipe(c.recipe, d, all_od, c.seed, device, "final", c.common.quiet);
    const std::string trained_on = model.provenance.date;
    test_time(model);
    model.calibration = cal;
    Detector det(model, device);
    const auto test_n = score_with_progress(det, to_tensor(normal, ns.test, pc), o, "scoring test normals");
    const Metrics test_m = metrics_of(test_n, {}, cal.threshold);
    model.validation = ValidationRecord::from_json({{"otherdays_cv", cv},
                        {"test", test_m.to_json()},
                        {"test_normal_scores", test_n},
                        {"test_spill_scores", std::vector<double>{}},
                        {"test_normal_hashes", hashes_in_order(normal, ns.test)},
                        {"test_spill_hashes", std::vector<std::string>{}},
                        {"note",
                         "otherdays_cv: the recipe's cross-validated figures on the other days (the shipped "
                         "model trained on every fold); test = recorded-day normals never trained on"}});
    std::vector<size_t> od_idx = all_od;
    model.provenance = ProvenanceRecord::from_json({{"trainer_version", WELLMONITOR_VERSION},
                        {"date", now_iso8601()},
                        {"normal_dir", std::filesystem::path(c.normal_dir).filename().string()},
                        {"anomaly_dir", std::filesystem::path(c.anomaly_dir).filename().string()},
                        {"otherdays_dir", std::filesystem::path(c.otherdays_dir).filename().string()},
                        {"train_hashes", short_hashes(normal, train_idx)},
                        {"train_spill_hashes", short_hashes(spills, all_indices(spills.size()))},
                        {"train_otherdays_hashes",
                         [&] {
                           auto h = short_hashes(od.set.crops, od_idx).get<std::vector<std::string>>();
                           h.erase(std::unique(h.begin(), h.end()), h.end());
                           return h;
                         }()},
                        {"test_hashes", short_hashes(normal, ns.test)}});
    // evaluate and calibrate treat every crop trained on as such.
    auto& p = model.provenance;
    p.train_hashes.insert(p.train_hashes.end(), p.train_otherdays_hashes.begin(), p.train_otherdays_hashes.end());
    if (rescore) p.date = trained_on;  // trained then; only the threshold and figures are new
    save_model(model, c.out);
    fmt::print("model written to {}: threshold {:.6g} ({}), recorded-day test normals TNR {}\n", c.out, cal.threshold,
               cal.method, fmt_rate(test_m.tnr));
    return 0;
  });
}

}  // namespace wellmonitor
