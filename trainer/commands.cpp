#include "commands.h"

#include "common.h"
#include "report.h"
#include "progress.h"
#include "recipe.h"
#include "wellmonitor/augment.h"
#include "wellmonitor/calibration.h"
#include "wellmonitor/dataset.h"
#include "wellmonitor/detector.h"
#include "wellmonitor/device.h"
#include "wellmonitor/model_file.h"
#include "wellmonitor/training.h"
#include "wellmonitor/version.h"

#include <fmt/core.h>
#include <fmt/ranges.h>

#include <chrono>
#include <ctime>
#include <fstream>
#include <set>
#include <thread>

namespace wellmonitor {

std::string default_train_arch(bool have_spills) { return have_spills ? PlainRecipe().arch : "compact-ae"; }

std::string default_train_color(const std::string& arch) { return arch == "spill-cnn" ? PlainRecipe().color : "gray"; }

int run_train(const TrainCommand& c) {
  return guarded([&] {
    const auto& o = c.common;
    // Where the model goes is checked before any work: a directory, or a
    // folder that does not exist, would only fail after the last epoch.
    {
      std::error_code ec;
      if (std::filesystem::is_directory(c.out, ec))
        throw std::invalid_argument(c.out + ": --out names a directory; give the model file's path, e.g. " +
                                    (std::filesystem::path(c.out) / "model.wmm").string());
      const auto parent = std::filesystem::path(c.out).parent_path();
      if (!parent.empty() && !std::filesystem::is_directory(parent, ec))
        throw std::invalid_argument(c.out + ": --out: no such folder " + parent.string());
    }
    // --size and --color are checked before any work (the colour again once the architecture is known).
    parse_preprocess(c.color.empty() ? "gray" : c.color, c.size);
    const ScoreConfig sc = ScoreConfig::from_name(c.score);
    const nlohmann::json arch_params = parse_arch_params(c.arch_params);
    const torch::Device device = resolve_device(o.device);
    setup_runtime(o);
    note(o, fmt::format("device: {}", describe_device(device)));

    std::vector<Crop> normal = load_dir(c.normal_dir, 0, o, "normal");
    std::vector<Crop> spills;
    if (!c.anomaly_dir.empty()) {
      spills = load_dir(c.anomaly_dir, 1, o, "spills");
      const size_t amb = drop_ambiguous(normal, spills);
      if (amb) warn(fmt::format("{} image(s) appear among both normals and spills; left out of both as ambiguous", amb));
    }
    // Labels files (review's export) beside the folders: names relative to the file's folder.
    for (const auto& lf : c.labels) {
      LoadOptions lo;
      lo.skip_bad = o.skip_bad;
      const std::string dir = std::filesystem::path(lf).parent_path().string();
      auto more = load_labelled(dir.empty() ? "." : dir, lf, lo);
      size_t n_spill = 0;
      for (auto& cr : more) (cr.label ? (++n_spill, spills) : normal).push_back(std::move(cr));
      note(o, fmt::format("{}: {} normal(s), {} spill(s)", lf, more.size() - n_spill, n_spill));
      if (const size_t amb = drop_ambiguous(normal, spills))
        warn(fmt::format("{} image(s) labelled both normal and spill; left out of both as ambiguous", amb));
    }
    const std::string arch = c.arch.empty() ? default_train_arch(!spills.empty()) : c.arch;
    const std::string color = c.color.empty() ? default_train_color(arch) : c.color;
    const PreprocessConfig pc = parse_preprocess(color, c.size);
    if (c.arch.empty())
      note(o, spills.empty() ? fmt::format("architecture: {}, {} (the default without spills: an autoencoder is the only "
                                           "kind that learns from normals alone; give --anomalies to train the "
                                           "spill-cnn classifier the shipped model is)",
                                           arch, color)
                             : fmt::format("architecture: {}, {} (the default with spills: the shipped model's classifier)",
                                           arch, color));
    const std::string method = default_method(c.method, !spills.empty());
    if ((method == "youden") && spills.empty()) throw std::invalid_argument("--method youden needs --anomalies");

    const ShiftSet shifts = parse_shift_set(c.shifts);
    const std::vector<SpillKind> synthetic = parse_spill_kinds(c.synthetic);
    const uint64_t split_seed = c.split_seed.value_or(c.seed);
    SplitFractions fr{c.val_fraction, c.calib_fraction, c.test_fraction};
    const NormalSplit ns = split_normals(normal, fr, split_seed);
    SpillSplit ss;
    if (!spills.empty()) ss = split_spills_by_well(spills, c.spill_test_fraction, split_seed);
    const bool classifier = arch == "spill-cnn";
    // spill-cnn trains the plain recipe (the shipped model's) unless --recipe synthetic.
    if (!classifier && !c.recipe.empty())
      throw std::invalid_argument("--recipe applies to spill-cnn; " + arch + " has one way to train");
    const bool plain = classifier && c.recipe != "synthetic";
    std::vector<std::string> synthetic_only;
    for (const auto& name : c.synthetic_options)  // stress-youden widens the calibration with these kinds
      if (method != "stress-youden" || (name != "--shifts" && name != "--synthetic")) synthetic_only.push_back(name);
    if (plain && !synthetic_only.empty())
      throw std::invalid_argument(synthetic_only.front() +
                                  " applies to --recipe synthetic; the plain recipe (spill-cnn's default) trains on "
                                  "real spills with flips, light and video jitter only");
    const TrainOptions own_defaults;
    const PlainRecipe plain_defaults;
    const int batch_size = c.batch_size.value_or(plain ? plain_defaults.batch_normal : own_defaults.batch_size);
    // The plain recipe's default: as many batches as the shipped model trained
    // on (kPlainRecipeBatches), and at least its 6 epochs. 6 epochs of 600
    // normals are 42 batches, too few: on the other days that model caught 27
    // of 44 spills, the same recipe over 390 batches 33 (as over 6,220 normals).
    const int64_t batches_per_epoch =
        (static_cast<int64_t>(ns.train.size()) + batch_size - 1) / std::max(1, batch_size);
    const int epochs = c.epochs.value_or(
        plain ? static_cast<int>(std::max<int64_t>(plain_defaults.epochs,
                                                   (kPlainRecipeBatches + batches_per_epoch - 1) /
                                                       std::max<int64_t>(1, batches_per_epoch)))
              : own_defaults.epochs);
    const double learning_rate = c.learning_rate.value_or(plain ? plain_defaults.learning_rate : own_defaults.learning_rate);
    // A classifier also trains on real spills: a share of the non-test wells,
    // kept apart from the wells its threshold is calibrated on.
    std::vector<size_t> train_spills;
    std::vector<int> train_spill_wells;
    if (classifier && !ss.calib.empty() && c.spill_train_fraction > 0) {
      std::vector<Crop> sub;
      for (size_t i : ss.calib) sub.push_back(spills[i]);
      const SpillSplit inner = split_spills_by_well(sub, c.spill_train_fraction, split_seed + 1);
      std::vector<size_t> calib;
      for (size_t k : inner.test) train_spills.push_back(ss.calib[k]);
      for (size_t k : inner.calib) calib.push_back(ss.calib[k]);
      ss.calib = calib;
      ss.calib_wells = inner.calib_wells;
      train_spill_wells = inner.test_wells;
    }
    note(o, fmt::format("normals: {} train, {} validation, {} calibration, {} test", ns.train.size(), ns.val.size(),
                        ns.calib.size(), ns.test.size()));
    if (!spills.empty())
      note(o, fmt::format("spills: {} training (wells {}), {} calibration (wells {}), {} test (wells {})",
                          train_spills.size(), fmt::join(train_spill_wells, " "), ss.calib.size(),
                          fmt::join(ss.calib_wells, " "), ss.test.size(), fmt::join(ss.test_wells, " ")));

    ModelFile model;
    TrainResult tr;
    const std::string checkpoint = c.checkpoint.empty() ? c.out + ".ckpt" : c.checkpoint;  // not with the plain recipe
    if (plain) {
      // The shipped model's recipe on the recorded days alone: the training
      // normals and the training wells' spills, flips, light and video jitter.
      if (train_spills.empty())
        throw std::invalid_argument(fmt::format(
            "the plain recipe trains on real spills, and none is left for training: the spills of {} well(s) go to "
            "the test ({}) and calibration ({}) parts; give spills of more wells, or --recipe synthetic",
            ss.test_wells.size() + ss.calib_wells.size(), ss.test_wells.size(), ss.calib_wells.size()));
      PlainRecipe r;
      r.arch = arch;
      r.arch_params = c.arch_params;
      r.color = color;
      r.size = c.size;
      r.epochs = epochs;
      r.learning_rate = learning_rate;
      r.batch_normal = batch_size;
      r.batch_spill = std::max(1, batch_size * plain_defaults.batch_spill / plain_defaults.batch_normal);
      RecipeData d;
      d.normal = to_tensor(normal, ns.train, pc);
      d.spills = to_tensor(spills, train_spills, pc);
      d.od = torch::empty({0, pc.channels(), pc.height, pc.width});
      for (size_t i : ns.train) d.normal_images.push_back(normal[i].image);
      for (size_t i : train_spills) d.spill_images.push_back(spills[i].image);
      model = train_plain_recipe(r, d, {}, c.seed, device, "train", o.quiet);
      note(o, fmt::format("model: {} {} ({} parameters, {} multiply-adds per crop), the plain recipe ({})", model.arch,
                          model.arch_params.dump(), parameter_count(*model.network), model.network->multiply_adds(),
                          r.augment));
      tr.epochs_run = model.training.epochs_run;
      tr.train_loss = model.training.train_loss;
      tr.crops_per_second = model.training.crops_per_second;
    } else {
      torch::Tensor train_x, val_x, val_y;
      if (!classifier) {
        train_x = to_tensor(normal, ns.train, pc);
        val_x = to_tensor(normal, ns.val, pc);
      } else {
        // Validation for early stopping: the validation normals, and the same
        // crops with a synthetic spill (fixed seed).
        Rng rng(c.seed + 99);
        std::vector<cv::Mat> v;
        std::vector<float> y;
        for (size_t i : ns.val) {
          v.push_back(normal[i].image);
          y.push_back(0.f);
          v.push_back(random_synthetic_spill(normal[i].image, spills, train_spills, rng, synthetic));
          y.push_back(1.f);
        }
        val_x = preprocess_batch(v, pc);
        val_y = torch::tensor(y);
      }

      torch::manual_seed(c.seed);
      model.arch = arch;
      model.arch_params = arch_params;
      model.preprocess = pc;
      model.score = classifier ? ScoreConfig::from_name("probability") : sc;
      model.build_network();
      note(o, fmt::format("model: {} {} ({} parameters, {} multiply-adds per crop)", model.arch, model.arch_params.dump(),
                          parameter_count(*model.network), model.network->multiply_adds()));

      TrainOptions to;
      to.epochs = epochs;
      to.batch_size = batch_size;
      to.learning_rate = learning_rate;
      to.patience = c.patience;
      to.seed = c.seed;
      to.checkpoint = checkpoint;
      to.resume = c.resume;
      {
        nlohmann::json fp = {{"train", short_hashes(normal, ns.train)}, {"arch", model.arch},
                             {"params", model.arch_params}, {"pre", pc.to_json()}, {"lr", learning_rate},
                             {"batch", batch_size}, {"seed", c.seed},
                             {"augment", c.augment}, {"augment_p", c.augment_p},
                             {"shifts", to_string(shifts)}, {"synthetic", c.synthetic}};
        to.fingerprint = sha256_hex(fp.dump().data(), fp.dump().size());
      }
      std::unique_ptr<Progress> bar;
      auto epoch_start = std::chrono::steady_clock::now();
      to.on_batch = [&](int epoch, int64_t b, int64_t nb, double loss) {
        if (!bar) {
          bar = std::make_unique<Progress>(fmt::format("epoch {}/{}", epoch, epochs), nb, !o.quiet);
          epoch_start = std::chrono::steady_clock::now();
        }
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - epoch_start).count();
        const double rate = static_cast<double>(std::min<int64_t>(b * batch_size, static_cast<int64_t>(ns.train.size()))) / std::max(s, 1e-9);
        bar->update(b, fmt::format("loss {:.5f}  {:.0f} crops/s", loss, rate));
      };
      to.on_epoch = [&](int epoch, double tl, double vl, bool improved) {
        if (bar) bar->finish(fmt::format("loss {:.5f}  val {:.5f}{}", tl, vl, improved ? "  (best)" : ""));
        bar.reset();
        (void)epoch;
      };
      if (c.augment == "shifts") {
        // Replace a share of each batch by shifted copies of the same crops; the
        // random stream depends only on the batch seed, so runs reproduce.
        to.augment = [&](const torch::Tensor& batch, const torch::Tensor& idx, uint64_t seed) {
          Rng rng(seed);
          std::bernoulli_distribution take(c.augment_p);
          auto out = batch.clone();
          const int64_t stride = out.size(1) * out.size(2) * out.size(3);
          auto ids = idx.contiguous();
          for (int64_t k = 0; k < ids.size(0); ++k) {
            if (!take(rng)) continue;
            const cv::Mat shifted =
                random_shift(normal[ns.train[static_cast<size_t>(ids.data_ptr<int64_t>()[k])]].image, rng, shifts);
            preprocess_into(shifted, pc, out.data_ptr<float>() + k * stride);
          }
          return out;
        };
      }
      if (c.resume && std::filesystem::exists(to.checkpoint)) note(o, "resuming from " + to.checkpoint);
      if (!classifier) {
        tr = train_autoencoder(*model.network, train_x, val_x, to, device);
      } else {
        // Each batch: training normals, half of them shifted like other days
        // (label 0); and as many spills (label 1): real training-well spills
        // (shifted too) or synthetic spills pasted into normals.
        const LabelledBatch make_batch = [&](const torch::Tensor& idx, uint64_t seed) {
          Rng rng(seed);
          std::bernoulli_distribution shift(c.augment_p), real(train_spills.empty() ? 0.0 : 0.3);
          std::vector<cv::Mat> v;
          std::vector<float> y;
          auto ids = idx.contiguous();
          for (int64_t k = 0; k < ids.size(0); ++k) {
            const cv::Mat& m = normal[ns.train[static_cast<size_t>(ids.data_ptr<int64_t>()[k])]].image;
            v.push_back(shift(rng) ? random_shift(m, rng, shifts) : m);
            y.push_back(0.f);
            if (real(rng)) {
              const cv::Mat& sp = spills[train_spills[std::uniform_int_distribution<size_t>(0, train_spills.size() - 1)(rng)]].image;
              cv::Mat s = sp;
              if (shift(rng)) {
                if (shifts.box) s = jitter_box(s, rng);
                if (shifts.photometric) s = photometric(s, rng);
              }
              v.push_back(s);
            } else {
              cv::Mat base = shift(rng) ? random_shift(m, rng, shifts) : m;
              v.push_back(random_synthetic_spill(base, spills, train_spills, rng, synthetic));
            }
            y.push_back(1.f);
          }
          return std::make_pair(preprocess_batch(v, pc), torch::tensor(y));
        };
        tr = train_classifier(*model.network, static_cast<int64_t>(ns.train.size()), make_batch, val_x, val_y, to, device);
      }
    }
    if (plain)
      note(o, fmt::format("trained {} epoch(s), {:.0f} crops/s", tr.epochs_run, tr.crops_per_second));
    else
      note(o, fmt::format("trained {} epoch(s){}, best epoch {} (validation loss {:.6f}), {:.0f} crops/s",
                          tr.epochs_run, tr.stopped_early ? " (stopped early)" : "", tr.best_epoch, tr.best_val_loss,
                          tr.crops_per_second));

    // Score the held-out parts with the same code the element uses.
    Detector det(model, device);
    const auto calib_n = score_with_progress(det, to_tensor(normal, ns.calib, pc), o, "scoring calibration normals");
    const auto test_n = score_with_progress(det, to_tensor(normal, ns.test, pc), o, "scoring test normals");
    std::vector<double> calib_s, test_s;
    if (!spills.empty()) {
      if (!ss.calib.empty()) calib_s = score_all(det, to_tensor(spills, ss.calib, pc));
      if (!ss.test.empty()) test_s = score_all(det, to_tensor(spills, ss.test, pc));
    }
    const std::string m = (method == "tnr-target" && calib_s.empty()) ? "quantile" : method;
    if (m != method) warn("no calibration spills: falling back to --method quantile");
    if (m == "stress-youden") {
      std::vector<cv::Mat> calib_imgs, textures;
      for (size_t i : ns.calib) calib_imgs.push_back(normal[i].image);
      for (size_t i : ss.calib) textures.push_back(spills[i].image);
      note(o, "stress-youden: scoring shifted copies and synthetic spills of the calibration normals");
      model.calibration = calibrate_stress_youden(det, calib_imgs, calib_n, calib_s, textures, shifts, synthetic, c.seed);
    } else {
      model.calibration = calibrate(m, calib_n, calib_s, method_parameter(m, c.target_tnr, c.false_alarm_rate));
    }

    const Metrics calib_m = metrics_of(calib_n, calib_s, model.threshold());
    const Metrics test_m = metrics_of(test_n, test_s, model.threshold());
    model.validation = ValidationRecord::from_json({{"test", test_m.to_json()},
                        {"calibration", calib_m.to_json()},
                        {"test_normal_scores", test_n},
                        {"test_spill_scores", test_s},
                        // The same crops' truncated hashes, in the same order (for `verify`).
                        {"test_normal_hashes", hashes_in_order(normal, ns.test)},
                        {"test_spill_hashes", hashes_in_order(spills, ss.test)},
                        {"test_spill_wells", ss.test_wells},
                        {"note", "test = normals never trained or calibrated on + spills of wells held out by well"}});
    const nlohmann::json split = {{"train", ns.train.size()},          {"val", ns.val.size()},
                                  {"calib", ns.calib.size()},          {"test", ns.test.size()},
                                  {"calib_spills", ss.calib.size()},   {"test_spills", ss.test.size()},
                                  {"calib_spill_wells", ss.calib_wells}, {"test_spill_wells", ss.test_wells}};
    if (plain) {
      // The recipe's own record, and where its crops came from.
      nlohmann::json t = model.training.to_json();
      t["train_spill_wells"] = train_spill_wells;
      t["split_seed"] = split_seed;
      t["split"] = split;
      model.training = TrainingRecord::from_json(t);
    } else {
      model.training = TrainingRecord::from_json({{"epochs_max", epochs},          {"epochs_run", tr.epochs_run},
                        {"best_epoch", tr.best_epoch},      {"best_val_loss", tr.best_val_loss},
                        {"batch_size", batch_size},         {"learning_rate", learning_rate},
                        {"optimizer", "adam"},              {"loss", classifier ? "binary-cross-entropy" : "mse"},
                        {"augment", c.augment},             {"augment_p", c.augment_p},
                        {"train_spill_wells", train_spill_wells},
                        {"patience", c.patience},           {"seed", c.seed},
                        {"split_seed", split_seed},
                        {"shifts", classifier || c.augment == "shifts" ? to_string(shifts) : "none"},
                        {"synthetic", classifier ? nlohmann::json(c.synthetic) : nlohmann::json()},
                        {"train_loss", tr.train_loss},      {"val_loss", tr.val_loss},
                        {"crops_per_second", tr.crops_per_second},
                        {"split", split}});
    }
    if (!c.report.empty()) {
      ReportData rd{"train", c.out, model.threshold(), {}, model.training.to_json()};
      const auto add = [&](const std::vector<Crop>& set, const std::vector<size_t>& idx, const std::vector<double>& sc,
                           const char* part) {
        for (size_t k = 0; k < idx.size() && k < sc.size(); ++k) {
          const Crop& cr = set[idx[k]];
          rd.crops.push_back({cr.name, part, cr.label, sc[k], cr.image, cr.group >= 0 ? cr.group : well_of_name(cr.name)});
        }
      };
      add(normal, ns.test, test_n, "test");
      add(spills, ss.test, test_s, "test");
      add(normal, ns.calib, calib_n, "calibration");
      add(spills, ss.calib, calib_s, "calibration");
      write_report(rd, det, c.report);
      note(o, "report written to " + c.report);
    }
    std::vector<size_t> heldout(ns.test);
    model.provenance = ProvenanceRecord::from_json({{"trainer_version", WELLMONITOR_VERSION},
                        {"date", now_iso8601()},
                        {"normal_dir", std::filesystem::path(c.normal_dir).filename().string()},
                        {"anomaly_dir", c.anomaly_dir.empty() ? "" : std::filesystem::path(c.anomaly_dir).filename().string()},
                        {"normal_set_sha256", [&] {
                           std::vector<std::string> h;
                           for (const auto& cr : normal) h.push_back(cr.sha256);
                           std::sort(h.begin(), h.end());
                           std::string all = fmt::format("{}", fmt::join(h, ""));
                           return sha256_hex(all.data(), all.size());
                         }()},
                        {"train_hashes", short_hashes(normal, ns.train)},
                        {"train_spill_hashes", short_hashes(spills, train_spills)},
                        {"test_hashes", short_hashes(normal, ns.test)}});
    // A model that catches none of the held-out spills it was given would never
    // alarm: refuse to write it (the report, if asked for, is written to show why).
    const auto blind = [](const Metrics& m, size_t n) { return n > 0 && m.tp == 0; };
    if ((blind(calib_m, calib_s.size()) || blind(test_m, test_s.size())) && !c.allow_zero_tpr) {
      std::error_code ec;
      if (!plain) std::filesystem::remove(checkpoint, ec);
      const std::string remedy =
          classifier ? fmt::format("train longer (--epochs; it ran {})", tr.epochs_run)
                     : fmt::format("leave out --arch to train the spill-cnn classifier ({} was asked for)", arch);
      throw std::runtime_error(fmt::format(
          "{}: not written: at its threshold {:.6g} ({}) the model catches {} of {} calibration and {} of {} test "
          "spills, so it would never alarm; {}, or give --allow-zero-tpr to write it anyway",
          c.out, model.threshold(), model.calibration.method, calib_m.tp, calib_s.size(), test_m.tp, test_s.size(),
          remedy));
    }
    save_model(model, c.out);
    std::error_code ec;
    if (!plain) std::filesystem::remove(checkpoint, ec);  // the plain recipe writes none

    fmt::print("model written to {}\n", c.out);
    fmt::print("threshold {:.6g} ({} {}), calibration TNR {} TPR {}\n", model.threshold(), model.calibration.method,
               model.calibration.parameter, fmt_rate(model.calibration.tnr),
               model.calibration.tpr >= 0 ? fmt_rate(model.calibration.tpr) : "n/a");
    print_metrics("calibration (held-out)", calib_m);
    print_metrics("test (held-out)", test_m);
    return 0;
  });
}

int run_calibrate(const CalibrateCommand& c) {
  return guarded([&] {
    const auto& o = c.common;
    setup_runtime(o);
    Detector det = Detector::open(c.model, o.device);
    ModelFile model = det.model();
    std::vector<Crop> normal = load_dir(c.normal_dir, 0, o, "normal");
    std::vector<Crop> spills;
    if (!c.anomaly_dir.empty()) {
      spills = load_dir(c.anomaly_dir, 1, o, "spills");
      if (size_t amb = drop_ambiguous(normal, spills))
        warn(fmt::format("{} image(s) appear among both normals and spills; left out of both as ambiguous", amb));
    }
    if (!c.include_training) {
      const std::set<std::string> used = hash_set({model.provenance.train_hashes, model.provenance.test_hashes});
      const size_t before = normal.size();
      normal.erase(std::remove_if(normal.begin(), normal.end(),
                                  [&](const Crop& cr) { return used.count(cr.sha256.substr(0, kHashChars)) > 0; }),
                   normal.end());
      if (before != normal.size())
        note(o, fmt::format("left out {} normal crop(s) the model trained or was tested on", before - normal.size()));
      if (normal.empty())
        throw std::invalid_argument("every normal crop given was used to train or test this model; give held-out "
                                    "normals or pass --include-training");
    }
    const std::string method = default_method(c.method, !spills.empty());
    if (method != "quantile" && method != "stress-youden" && spills.empty())
      throw std::invalid_argument("--method " + method + " needs --anomalies");
    const auto ns = score_with_progress(det, to_tensor(normal, all_indices(normal.size()), model.preprocess), o, "scoring normals");
    std::vector<double> sp;
    if (!spills.empty()) sp = score_with_progress(det, to_tensor(spills, all_indices(spills.size()), model.preprocess), o, "scoring spills");
    const double old = model.threshold();
    if (method == "stress-youden") {
      // The kinds of shifts and synthetic spills the model trained with; every kind
      // for a model that trained with none (an autoencoder) or does not say.
      std::string trained_shifts = model.training.shifts;
      if (trained_shifts.empty() || trained_shifts == "none") trained_shifts = "occluder,box,photometric";
      const ShiftSet shifts = parse_shift_set(trained_shifts);
      const std::string& syn = model.training.synthetic;
      const std::vector<SpillKind> kinds = parse_spill_kinds(syn.empty() || syn == "none" ? "blob,blend" : syn);
      std::vector<cv::Mat> imgs, textures;
      for (const auto& cr : normal) imgs.push_back(cr.image);
      for (const auto& cr : spills) textures.push_back(cr.image);
      model.calibration = calibrate_stress_youden(det, imgs, ns, sp, textures, shifts, kinds,
                                                  model.training.seed);
    } else {
      model.calibration = calibrate(method, ns, sp, method_parameter(method, c.target_tnr, c.false_alarm_rate));
    }
    if (!model.validation.test_normal_scores.empty())
      model.validation.test =
          metrics_of(model.validation.test_normal_scores, model.validation.test_spill_scores, model.threshold());
    model.provenance.recalibrated =
        Recalibration{now_iso8601(), old, std::filesystem::path(c.normal_dir).filename().string()};
    const std::string out = c.out.empty() ? c.model : c.out;
    save_model(model, out);
    fmt::print("threshold {:.6g} -> {:.6g} ({} {}), calibration TNR {} TPR {} on {} normals / {} spills; written to {}\n",
               old, model.threshold(), method, model.calibration.parameter, fmt_rate(model.calibration.tnr),
               model.calibration.tpr >= 0 ? fmt_rate(model.calibration.tpr) : "n/a", ns.size(), sp.size(),
               c.out.empty() ? out + " (in place: no --out was given)" : out);
    return 0;
  });
}

int run_evaluate(const EvaluateCommand& c) {
  return guarded([&] {
    const auto& o = c.common;
    setup_runtime(o);
    Detector det = Detector::open(c.model, o.device);
    LoadOptions lo;
    lo.skip_bad = o.skip_bad;
    lo.dedup = false;  // evaluate exactly the listed crops
    LoadReport rep;
    auto crops = load_labelled(c.images_dir, c.labels, lo, &rep);
    for (const auto& b : rep.bad) warn(fmt::format("skipped {}", b));
    const double thr = c.threshold >= 0 ? c.threshold : det.threshold();
    const auto scores = score_with_progress(det, to_tensor(crops, all_indices(crops.size()), det.model().preprocess), o, "scoring");
    std::vector<int> labels;
    for (const auto& cr : crops) labels.push_back(cr.label);
    const Metrics m = compute_metrics(scores, labels, thr);
    const std::set<std::string> trained = hash_set({det.model().provenance.train_hashes});
    size_t seen = 0;
    for (const auto& cr : crops) seen += trained.count(cr.sha256.substr(0, kHashChars));
    if (seen) warn(fmt::format("{} of the {} crops were used to train this model; figures are optimistic", seen, crops.size()));
    fmt::print("model {} ({}), threshold {:.6g}{}\n", c.model, det.model().arch, thr, c.threshold >= 0 ? " (override)" : "");
    print_metrics("evaluation", m);
    if (!c.json_out.empty()) {
      nlohmann::json j = m.to_json();
      j["model"] = c.model;
      j["trained_on"] = seen;
      std::ofstream f(c.json_out);
      if (!f) throw std::runtime_error(c.json_out + ": cannot write");
      f << j.dump(2) << "\n";
    }
    if (!c.report.empty()) {
      ReportData rd{"evaluate", c.model, thr, {}, nullptr};
      for (size_t k = 0; k < crops.size(); ++k)
        rd.crops.push_back({crops[k].name, "all", crops[k].label, scores[k], crops[k].image,
                            crops[k].group >= 0 ? crops[k].group : well_of_name(crops[k].name)});
      write_report(rd, det, c.report);
      fmt::print("report: {}\n", c.report);
    }
    if (!c.scores_out.empty()) {
      std::ofstream f(c.scores_out);
      if (!f) throw std::runtime_error(c.scores_out + ": cannot write");
      f << "file,label,score,predicted\n";
      for (size_t k = 0; k < crops.size(); ++k)
        f << crops[k].name << ',' << crops[k].label << ',' << fmt::format("{:.9g}", scores[k]) << ','
          << (scores[k] > thr ? 1 : 0) << '\n';
    }
    return 0;
  });
}

int run_info(const InfoCommand& c) {
  return guarded([&] {
    ModelFile model = load_model(c.model);  // full load: checks the weights too
    nlohmann::json j = model.metadata(!c.full);
    if (!c.full && j.contains("validation")) {
      for (const char* k : {"test_normal_scores", "test_spill_scores"})
        if (j["validation"].contains(k)) j["validation"][k] = std::to_string(j["validation"][k].size()) + " scores";
    }
    fmt::print("{}\n", j.dump(2));
    return 0;
  });
}

}  // namespace wellmonitor
