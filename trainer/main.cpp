// wellmonitor-trainer: trains the spill detector on normal crops, calibrates
// its threshold, evaluates it and prints what a model file holds.
#include "commands.h"

#include <CLI/CLI.hpp>
#include <sstream>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <fmt/core.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "wellmonitor/architectures.h"
#include "wellmonitor/errors.h"
#include "wellmonitor/version.h"

namespace {

// Limits on the numeric options, named in --help.
constexpr int kMaxThreads = 256;
constexpr int kMaxEpochs = 100000;
constexpr int kMaxBatchSize = 65536;

// A finite number > 0 (or >= 0). CLI11's PositiveNumber would name its range
// as two 309-digit numbers; these say what is wrong in words.
CLI::Validator number_above(double low, bool inclusive) {
  const std::string what = inclusive ? "a number >= 0" : "a positive number";
  return CLI::Validator(
      [=](std::string& text) -> std::string {
        double v = 0.0;
        size_t used = 0;
        try {
          v = std::stod(text, &used);
        } catch (const std::exception&) {
          used = 0;
        }
        if (used != text.size() || used == 0 || !std::isfinite(v) || (inclusive ? v < low : v <= low))
          return "must be " + what + ", got '" + text + "'";
        return std::string();
      },
      inclusive ? "NONNEGATIVE" : "POSITIVE");
}

// Levenshtein distance, for "did you mean" in usage errors.
size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

// " (did you mean X?)" for the closest of `names` to `word`, when one is close.
std::string did_you_mean(const std::string& word, const std::vector<std::string>& names) {
  std::string best;
  size_t best_d = std::max<size_t>(2, word.size() / 4) + 1;
  for (const auto& n : names) {
    const size_t d = edit_distance(word, n);
    const bool prefix = n.size() > 3 && word.size() > 3 && (n.rfind(word, 0) == 0 || word.rfind(n, 0) == 0);
    if (d < best_d || (prefix && best.empty())) best = n, best_d = std::min(best_d, d);
  }
  return best.empty() ? std::string() : " (did you mean " + best + "?)";
}

// Every usage error CLI11 finds, as one line on stderr that names the option:
// "wellmonitor-trainer: error: train: --epochs: Value 0 not in range [1 - 100000]
// (see wellmonitor-trainer train --help)". An argument no option takes is named
// before anything else (CLI11 checks required options first, so a misspelt
// `--normals` would read "--normal is required").
std::string usage_error(const CLI::App* app, const CLI::Error& e) {
  const CLI::App* sub = app;
  for (const CLI::App* s : app->get_subcommands()) sub = s;  // the subcommand being parsed
  std::vector<std::string> subcommands;
  for (const CLI::App* s : app->get_subcommands({})) subcommands.push_back(s->get_name());
  std::string msg = e.what();
  const std::vector<std::string> extras = app->remaining(true);
  if (!extras.empty()) {
    const std::string& arg = extras.front();
    if (arg.size() > 1 && arg[0] == '-') {
      const std::string name = arg.substr(0, arg.find('='));
      std::vector<std::string> names;
      for (const CLI::Option* o : sub->get_options()) {
        for (const auto& l : o->get_lnames()) names.push_back("--" + l);
        for (const auto& s : o->get_snames()) names.push_back("-" + s);
      }
      msg = fmt::format("unknown option {}{}", name, did_you_mean(name, names));
    } else if (sub == app) {
      msg = fmt::format("unknown subcommand '{}'{}; a subcommand is required: {}", arg, did_you_mean(arg, subcommands),
                        fmt::join(subcommands, ", "));
    } else {
      msg = fmt::format("unexpected argument '{}' (every value follows its option, e.g. --out FILE)", arg);
    }
  } else if (e.get_name() == "ArgumentMismatch" && msg.find(" missing") != std::string::npos &&
             msg.find(':') != std::string::npos) {
    msg = msg.substr(0, msg.find(':')) + ": needs a value";  // "--epochs: 1 required INT:INT in [1 - 100000] missing"
  } else if (sub == app && e.get_name() == "RequiredError") {
    msg = fmt::format("a subcommand is required: {}", fmt::join(subcommands, ", "));
  }
  const std::string help = sub == app ? "wellmonitor-trainer --help" : "wellmonitor-trainer " + sub->get_name() + " --help";
  return fmt::format("wellmonitor-trainer: error: {}{} (see {})\n", sub == app ? "" : sub->get_name() + ": ",
                     wellmonitor::printable(msg, wellmonitor::kMaxErrorBytes), help);
}

void add_common(CLI::App* app, wellmonitor::CommonOptions& o, bool runs_model = true) {
  if (runs_model) {
    app->add_option("--device", o.device, "Where the model runs: auto (CUDA when available), cpu or cuda")
        ->check(CLI::IsMember({"auto", "cpu", "cuda"}))
        ->capture_default_str();
    app->add_option("--threads", o.threads,
                    fmt::format("CPU threads for LibTorch, 0..{} (0 = all cores)", kMaxThreads))
        ->check(CLI::Range(0, kMaxThreads))
        ->capture_default_str();
  }
  app->add_flag("--skip-bad", o.skip_bad, "Skip unreadable or non-image files with a warning instead of failing");
  app->add_flag("-q,--quiet", o.quiet, "No progress display");
}

void add_calibration_options(CLI::App* app, std::string& method, double& target_tnr, double& far) {
  app->add_option("--method", method,
                  "Threshold rule: tnr-target (among thresholds keeping TNR >= --target-tnr on normals, the one "
                  "catching most spills; needs spills), quantile (the (1 - --far) quantile of held-out normals), "
                  "youden (maximise TPR + TNR; needs spills), stress-youden (youden on the calibration part widened like "
                  "`stress`: plus shifted copies of its normals and synthetic spills pasted into them). Default: "
                  "tnr-target with spills, else quantile")
      ->check(CLI::IsMember({"tnr-target", "quantile", "youden", "stress-youden"}));
  app->add_option("--target-tnr", target_tnr, "tnr-target: the TNR to keep on the calibration normals")
      ->check(CLI::Range(0.5, 1.0))
      ->capture_default_str();
  app->add_option("--far", far, "quantile: the false-alarm rate allowed on the calibration normals")
      ->check(CLI::Range(0.0, 0.5))
      ->capture_default_str();
}

}  // namespace

int main(int argc, char** argv) {
#if defined(__GLIBC__)
  // A training step's activations (a batch of 256 crops through the first conv:
  // 34 MB) exceed glibc's largest mmap threshold, so every step mapped, faulted in
  // and unmapped them again: half of an epoch's time went to the kernel. Serve
  // them from the heap and keep freed memory for the next step instead.
  mallopt(M_MMAP_MAX, 0);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
  CLI::App app{fmt::format(
      "wellmonitor-trainer {}: trains the casting-table spill detector on crops of normal wells and known spills, "
      "calibrates its threshold on held-out crops, evaluates it, and writes one model file that carries the "
      "threshold.\n\n"
      "Recipes:\n"
      "  # the shipped model: the plain recipe on the recorded days and the other days' labelled crops,\n"
      "  # its threshold and figures from cross-validation on those days\n"
      "  wellmonitor-trainer crossval --otherdays data/otherdays --normal data/train --anomalies data/spills \\\n"
      "      --normal-stride 2 --seeds 2 --out models/default.wmm\n"
      "  # the same classifier and recipe from normals and spills alone (no other days labelled yet)\n"
      "  wellmonitor-trainer train --normal data/train --anomalies data/spills --out model.wmm\n"
      "  # how it holds up on labelled crops of other days\n"
      "  wellmonitor-trainer evaluate --model model.wmm --images data/otherdays/imgs --labels data/otherdays/labels.txt\n"
      "  wellmonitor-trainer info --model model.wmm",
      WELLMONITOR_VERSION)};
  app.require_subcommand(1);
  app.failure_message(usage_error);
  app.set_version_flag("--version", WELLMONITOR_VERSION);

  wellmonitor::TrainCommand train;
  auto* t = app.add_subcommand(
      "train",
      "Train a model on crops of normal wells and, when given, known spills. Without --arch: with spills the shipped "
      "model's classifier and recipe (spill-cnn, colour, --recipe plain); without spills an autoencoder "
      "(compact-ae), the only kind that learns from normals alone (it flags any unfamiliar crop: check it on "
      "other days with evaluate). Normals are deduplicated by content and split into training, validation, "
      "calibration and test parts; spills are split by well into training (spill-cnn), calibration and test "
      "wells. The threshold is chosen on the calibration parts, the figures reported on the test parts; both are "
      "recorded in the model file. A model that catches none of its calibration or test spills is not written "
      "(exit status 1) unless --allow-zero-tpr.\n\n"
      "Examples:\n"
      "  wellmonitor-trainer train --normal data/train --anomalies data/spills --out model.wmm\n"
      "  wellmonitor-trainer train --normal data/train --out model.wmm      # no spills yet: an autoencoder\n"
      "The shipped model is the same recipe trained with the other days' crops too: see crossval.");
  t->add_option("--normal", train.normal_dir, "Folder of normal crops (jpg/png/bmp)")->required();
  t->add_option("--anomalies", train.anomaly_dir,
                "Folder of known spill crops (names <well>_CAM_..._<time>.jpg are split by well)");
  t->add_option("--out", train.out, "Model file to write")->required();
  std::string arch_help = "Architecture:";
  for (const auto& n : wellmonitor::architecture_names()) arch_help += " " + n;
  arch_help += ". Default: spill-cnn (the shipped model's classifier) when spills are given (--anomalies, or 1s in "
               "--labels); without spills compact-ae, since an autoencoder is the only kind that learns from normals "
               "alone (autoencoders flag any unfamiliar crop, e.g. an arm across a well, and held up worse on other "
               "days)";
  t->add_option("--arch", train.arch, arch_help);
  t->add_option("--arch-param", train.arch_params,
                "Architecture parameter key=value, repeatable (compact-ae: base, latent; seed-ae: latent; spill-cnn: base)");
  t->add_option("--color", train.color,
                "Input colour: gray or rgb. Default: rgb for spill-cnn (as the shipped model), gray for the autoencoders")
      ->check(CLI::IsMember({"gray", "rgb"}));
  t->add_option("--size", train.size, "Network input WIDTHxHEIGHT, multiples of 8")->capture_default_str();
  t->add_option("--score", train.score, "Anomaly score: mse, l1 or hybrid (0.5*L1 + 0.5*(1-SSIM))")
      ->check(CLI::IsMember({"mse", "l1", "hybrid"}))
      ->capture_default_str();
  t->add_option("--recipe", train.recipe,
                "spill-cnn: plain (the default: the shipped model's recipe on these folders alone: the training "
                "normals and the spills of the training wells, flips, light and video jitter, Adam 1e-3, 390 batches "
                "of 96 normals and 32 spills) or synthetic (normals shifted like other days, synthetic spills "
                "besides the real ones, early stopping; --augment, --augment-p, --patience, --shifts, --synthetic, "
                "--checkpoint and --resume belong to it)")
      ->check(CLI::IsMember({"plain", "synthetic"}));
  t->add_option("--epochs", train.epochs,
                fmt::format("Epochs to train (the most, with early stopping), 1..{}. Default: 60; the plain recipe: "
                            "enough for 390 batches, as the shipped model trained, and at least 6",
                            kMaxEpochs))
      ->check(CLI::Range(1, kMaxEpochs));
  t->add_option("--batch-size", train.batch_size,
                fmt::format("Crops per batch, 1..{}. Default: 128; the plain recipe: 96 normals (and a third as many "
                            "spills)",
                            kMaxBatchSize))
      ->check(CLI::Range(1, kMaxBatchSize));
  t->add_option("--lr", train.learning_rate,
                "Adam learning rate (a positive number). Default: 1e-3 for the plain recipe, 3e-4 otherwise")
      ->check(number_above(0.0, false));
  t->add_option("--patience", train.patience,
                fmt::format("Stop after this many epochs without a better validation loss, 0..{} (0 = never)", kMaxEpochs))
      ->check(CLI::Range(0, kMaxEpochs))
      ->capture_default_str();
  t->add_option("--seed", train.seed, "Seed for the splits, the weights and the shuffling")->capture_default_str();
  t->add_option("--split-seed", train.split_seed,
                "Seed for the splits only (default: --seed); keep it fixed to compare training seeds on one split");
  t->add_option("--val-fraction", train.val_fraction, "Share of normals for early stopping")
      ->check(CLI::Range(0.0, 0.5))->capture_default_str();
  t->add_option("--calib-fraction", train.calib_fraction, "Share of normals for threshold calibration")
      ->check(CLI::Range(0.0, 0.5))->capture_default_str();
  t->add_option("--test-fraction", train.test_fraction, "Share of normals for the reported figures")
      ->check(CLI::Range(0.0, 0.5))->capture_default_str();
  t->add_option("--spill-test-fraction", train.spill_test_fraction, "Share of spill wells held out for the figures")
      ->check(CLI::Range(0.0, 1.0))->capture_default_str();
  t->add_option("--spill-train-fraction", train.spill_train_fraction,
                "spill-cnn: share of the non-test spill wells whose spills it trains on (the rest calibrate)")
      ->check(CLI::Range(0.0, 1.0))->capture_default_str();
  add_calibration_options(t, train.method, train.target_tnr, train.false_alarm_rate);
  t->add_option("--augment", train.augment,
                "Training-time augmentation: none, or shifts (a share of each batch is replaced by copies shifted "
                "like other days: occluders, crop boxes grown/shrunk/shifted, photometric changes)")
      ->check(CLI::IsMember({"none", "shifts"}))
      ->capture_default_str();
  t->add_option("--augment-p", train.augment_p, "Share of each batch that is shifted with --augment shifts")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  t->add_option("--shifts", train.shifts,
                "Shift kinds used in training (--augment shifts, and spill-cnn): any of occluder,box,photometric, or "
                "none; leave one out to see in `stress` how a model copes with it unseen")
      ->capture_default_str();
  t->add_option("--synthetic", train.synthetic,
                "spill-cnn: synthetic spill kinds it trains on, comma-separated: blob (a small bright or bluish blob "
                "low in the crop), blend (spill texture under a random mask), smooth (a smooth, bluish, empty-looking "
                "well with a thin spill at its lower edge)")
      ->capture_default_str();
  t->add_option("--checkpoint", train.checkpoint, "Checkpoint written after every epoch (default: OUT.ckpt)");
  t->add_flag("--resume", train.resume, "Continue an interrupted run from its checkpoint");
  t->add_option("--labels", train.labels,
                "Labels file '<file> <0|1>' (1 = spill; review exports them), repeatable: its crops join the normals "
                "and spills; names are relative to the file's folder");
  t->add_option("--report", train.report, "Also write a self-contained HTML report of the test and calibration parts here");
  t->add_flag("--allow-zero-tpr", train.allow_zero_tpr,
              "Write the model even when it catches none of its calibration or test spills (TPR 0: it would never "
              "alarm). Without it such a model is refused: exit status 1, no model file");
  add_common(t, train.common);

  wellmonitor::CalibrateCommand cal;
  auto* c = app.add_subcommand(
      "calibrate",
      "Choose a model's threshold again on other crops and write it into the model file. Crops the model "
      "trained on or was tested on are left out unless --include-training is given.");
  c->add_option("--model", cal.model, "Model file")->required()->check(CLI::ExistingFile);
  c->add_option("--normal", cal.normal_dir, "Folder of normal crops")->required();
  c->add_option("--anomalies", cal.anomaly_dir, "Folder of spill crops");
  c->add_option("--out", cal.out, "Write the recalibrated model here (default: update --model in place)");
  c->add_flag("--include-training", cal.include_training, "Also use crops the model trained or was tested on");
  add_calibration_options(c, cal.method, cal.target_tnr, cal.false_alarm_rate);
  add_common(c, cal.common);

  wellmonitor::EvaluateCommand ev;
  auto* e = app.add_subcommand("evaluate", "Score labelled crops with a model and report TP/TN/FP/FN, TPR, TNR, "
                                           "ROC AUC and PR AUC at the model's threshold.");
  e->add_option("--model", ev.model, "Model file")->required()->check(CLI::ExistingFile);
  e->add_option("--images", ev.images_dir, "Folder of crops")->required();
  e->add_option("--labels", ev.labels, "Labels file: '<file name> <0|1>' per line (1 = spill)")->required();
  e->add_option("--json", ev.json_out, "Also write the figures as JSON here");
  e->add_option("--scores", ev.scores_out, "Also write every crop's score as CSV (file,label,score,predicted)");
  e->add_option("--threshold", ev.threshold, "Use this threshold instead of the model's");
  e->add_option("--report", ev.report, "Also write a self-contained HTML report here (curves, rates, worst crops)");
  add_common(e, ev.common);

  wellmonitor::InfoCommand info;
  auto* i = app.add_subcommand("info", "Print what a model file holds (architecture, preprocessing, score, "
                                       "threshold and its statistics, validation figures, provenance) as JSON.");
  i->add_option("--model", info.model, "Model file")->required();
  i->add_flag("--full", info.full, "Include long lists (hashes of the training crops)");

  wellmonitor::StressCommand stress;
  auto* st = app.add_subcommand(
      "stress",
      "Stress validation that imitates other days: each model's held-out normals and the spills of its held-out "
      "wells (the clean split), plus shifted copies of those normals (occluders, crop boxes grown/shrunk/shifted "
      "10-20%, brightness/contrast/blur) and synthetic subtle spills (a small bright or bluish blob at the lower "
      "edge; spill texture blended under a random mask), over several seeds. Prints TPR, TNR and ROC AUC per part "
      "as mean and spread at each model's threshold.");
  st->add_option("--model", stress.models, "Model file(s); several (e.g. training seeds) are pooled")->required()->check(CLI::ExistingFile);
  st->add_option("--normal", stress.normal_dir, "Folder of normal crops (the model's held-out ones are used)")->required();
  st->add_option("--anomalies", stress.anomaly_dir, "Folder of spill crops")->required();
  st->add_option("--seeds", stress.seeds, "Seeds of the synthetic shifts and spills")->capture_default_str();
  st->add_option("--threshold", stress.threshold, "Use this threshold instead of each model's");
  st->add_flag("--ensemble", stress.ensemble,
               "Treat the models as one ensemble: its score is the mean of theirs, its threshold the mean of "
               "their thresholds (or --threshold); they must share one split (train them with one --split-seed)");
  st->add_option("--json", stress.json_out, "Also write the table as JSON here");
  st->add_option("--preview", stress.preview, "Write a PNG showing examples of every shift and synthetic spill");
  st->add_option("--histogram", stress.histogram,
                 "Write a PNG of the score distributions (held-out and shifted normals, real and synthetic spills) "
                 "with the threshold marked (first model, first seed)");
  st->add_option("--report", stress.report,
                 "Also write a self-contained HTML report here (first model, first seed: held-out and shifted "
                 "normals, real and synthetic spills)");
  add_common(st, stress.common);

  wellmonitor::VerifyCommand ver;
  auto* v = app.add_subcommand(
      "verify",
      "Check that a model file still gives the scores it records: finds the crops of its recorded test part "
      "among the folders given (by content), scores them again and compares crop by crop; given the whole test "
      "part it also recomputes the recorded figures. Exit 0 when everything matches, 1 otherwise.");
  v->add_option("--model", ver.model, "Model file")->required()->check(CLI::ExistingFile);
  v->add_option("--normal", ver.normal_dir, "Folder of normal crops")->required();
  v->add_option("--anomalies", ver.anomaly_dir, "Folder of spill crops");
  v->add_option("--tolerance", ver.tolerance, "Largest allowed difference between a score and the recorded one")
      ->check(number_above(0.0, true))
      ->capture_default_str();
  v->add_option("--json", ver.json_out, "Also write the result as JSON here");
  add_common(v, ver.common);

  wellmonitor::CrossvalCommand cv;
  auto* x = app.add_subcommand(
      "crossval",
      "Validate on the plant's other days by group-wise cross-validation. Trains the plain recipe (a classifier on "
      "recorded-day normals and spills plus the other days' training folds, flips and light brightness/contrast "
      "jitter only) once per fold and seed, scores each fold with the model that never saw it at a threshold chosen "
      "on the other folds' out-of-fold scores, and prints TPR, TNR, ROC AUC and PR AUC per fold with their mean "
      "and spread. With --out it then trains the same recipe on every fold and writes it with the threshold the "
      "rule picks on all out-of-fold scores, recording the cross-validated figures. With --model it scores "
      "existing models (never trained on those days) fold by fold at their own thresholds.");
  x->add_option("--otherdays", cv.otherdays_dir,
                "Folder of the other days' labelled crops: imgs/, labels.txt ('<file> <0|1>') and groups.txt "
                "('<file> <group>', near-duplicate groups)")
      ->required();
  x->add_option("--model", cv.models, "Score these model files instead of training");
  x->add_option("--normal", cv.normal_dir, "Folder of the recorded days' normal crops");
  x->add_option("--anomalies", cv.anomaly_dir, "Folder of the recorded days' spill crops");
  x->add_option("--out", cv.out, "Write the recipe trained on every fold here");
  x->add_flag("--mirror", cv.mirror,
              "Test-time mirror: a crop whose own score reaches --mirror-above scores the mean of its own and its "
              "left-right mirror image's score, in the fold models, the thresholds and the model written (the "
              "element runs the network again on those crops only)");
  x->add_option("--mirror-above", cv.mirror_above,
                "With --mirror: the own score from which a crop is scored with its mirror image too (0: every crop, "
                "at twice the cost)")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  x->add_option("--fold-models", cv.fold_models,
                "Score the fold models a --save-folds wrote into this folder instead of training them "
                "(fold-F-seed-S.wmm; the same --folds, --fold-seed, --seed and --seeds): the thresholds and figures "
                "again under another --method, --far or --mirror, in minutes instead of hours")
      ->check(CLI::ExistingDirectory);
  x->add_option("--final", cv.final_model,
                "With --fold-models and --out: the recipe's model trained on every fold (as an earlier --out wrote "
                "it), written to --out with the new threshold and figures")
      ->check(CLI::ExistingFile);
  std::string cv_arch_help = "Architecture (a classifier):";
  for (const auto& n : wellmonitor::architecture_names()) cv_arch_help += " " + n;
  x->add_option("--arch", cv.recipe.arch, cv_arch_help)->check(CLI::IsMember({"spill-cnn"}))->capture_default_str();
  x->add_option("--arch-param", cv.recipe.arch_params, "Architecture parameter key=value, repeatable (spill-cnn: base)");
  x->add_option("--color", cv.recipe.color, "Input colour: gray or rgb")->check(CLI::IsMember({"gray", "rgb"}))->capture_default_str();
  x->add_option("--size", cv.recipe.size, "Network input WIDTHxHEIGHT, multiples of 8")->capture_default_str();
  x->add_option("--folds", cv.folds, "Folds (by group)")->check(CLI::Range(2, 20))->capture_default_str();
  x->add_option("--seeds", cv.seeds, "Training seeds per fold (--seed, --seed+1, ...)")->check(CLI::Range(1, 20))->capture_default_str();
  x->add_option("--seed", cv.seed, "First training seed; also splits the recorded-day normals")->capture_default_str();
  x->add_option("--fold-seed", cv.fold_seed, "Seed of the fold assignment")->capture_default_str();
  x->add_option("--epochs", cv.recipe.epochs, "Epochs over the recorded-day training normals")->check(CLI::Range(1, 1000))->capture_default_str();
  x->add_option("--batch-normals", cv.recipe.batch_normal, "Normals per batch")->check(CLI::Range(1, 4096))->capture_default_str();
  x->add_option("--batch-spills", cv.recipe.batch_spill, "Spills per batch")->check(CLI::Range(1, 4096))->capture_default_str();
  x->add_option("--lr", cv.recipe.learning_rate, "Adam learning rate")->check(CLI::PositiveNumber)->capture_default_str();
  x->add_option("--otherdays-normal-share", cv.recipe.od_normal_share,
                "Share of each batch's normals drawn from the other days' training folds (0 and a spill share of 0: "
                "the recipe never sees the other days)")
      ->check(CLI::Range(0.0, 0.9))->capture_default_str();
  x->add_option("--otherdays-spill-share", cv.recipe.od_spill_share, "Share of each batch's spills drawn from them")
      ->check(CLI::Range(0.0, 1.0))->capture_default_str();
  x->add_option("--augment", cv.recipe.augment,
                "Training jitter, comma-separated: flip (mirror left-right), light (brightness +-0.1, contrast "
                "0.8-1.2), video (half of the crops resampled to another box, gain +-4% and JPEG quality 30-90, as "
                "the way through a video stream does), h264 (a share of the crops replaced by copies shown in a camera's "
                "frame and sent through a real H.264 encoder and decoder; needs --codec-frame and --codec-wells), matrix (a "
                "quarter of the crops read with the other colour matrix, BT.601 as BT.709 or back, as a decoder that "
                "guesses it does), or none")
      ->check([](const std::string& v) {
        if (v == "none") return std::string();
        std::stringstream ss(v);
        for (std::string k; std::getline(ss, k, ',');)
          if (k != "flip" && k != "light" && k != "video" && k != "h264" && k != "matrix")
            return "unknown jitter '" + k + "' (flip, light, video, h264, matrix)";
        return std::string();
      })
      ->capture_default_str();
  x->add_option("--codec-frame", cv.codec_frame,
                "With --augment h264: the camera frame (a picture) the crops are shown in")
      ->check(CLI::ExistingFile);
  x->add_option("--codec-wells", cv.codec_wells, "With --augment h264: the layout of the wells in that frame")
      ->check(CLI::ExistingFile);
  x->add_option("--codec-copies", cv.codec_copies, "With --augment h264: H.264 copies made of each training crop")
      ->check(CLI::Range(1, 8))->capture_default_str();
  x->add_option("--calibrate-on", cv.calibrate_on,
                "Out-of-fold scores the threshold rule sees: crops (the other days' crops), or crops+h264 (also "
                "their H.264 copies, as the element sees them through a camera's stream; needs --augment h264)")
      ->check(CLI::IsMember({"crops", "crops+h264"}))->capture_default_str();
  x->add_option("--test-fraction", cv.test_fraction, "Share of recorded-day normals held out for verify")
      ->check(CLI::Range(0.0, 0.5))->capture_default_str();
  x->add_option("--normal-stride", cv.normal_stride, "Train on every Nth recorded-day training normal")
      ->check(CLI::Range(1, 100))->capture_default_str();
  x->add_option("--method", cv.method,
                "Threshold rule on the out-of-fold scores: quantile (the (1 - --far) quantile of the out-of-fold "
                "normals: as low as the false-alarm budget allows, so that spills unlike any seen are still caught), "
                "youden-logit (best TPR + TNR, in the middle of the widest such gap measured in logits) or youden")
      ->check(CLI::IsMember({"quantile", "youden-logit", "youden"}))
      ->capture_default_str();
  x->add_option("--far", cv.false_alarm_rate, "quantile: the share of out-of-fold normals allowed over the threshold (0: the threshold is the highest out-of-fold normal score)")
      ->check(CLI::Range(0.0, 0.5))
      ->capture_default_str();
  x->add_option("--threshold", cv.threshold, "A fixed threshold instead of the rule (e.g. 0.5)")->check(CLI::Range(0.0, 1.0));
  x->add_option("--json", cv.json_out, "Also write the cross-validated figures as JSON here");
  x->add_option("--save-folds", cv.save_folds,
                "Also write each fold's model (fold-F-seed-S.wmm, at that fold's threshold) and the fold's crops "
                "(fold-F.labels.txt, fold-F.groups.txt) into this folder: a replay of a fold's crops through the "
                "element with that fold's model is an honest end-to-end check");
  x->add_option("--scores", cv.scores_out, "Also write every out-of-fold score as CSV (file,label,group,fold,seed,score); with --augment h264 the H.264 copies' scores go to NAME-h264.csv beside it (one more column, copy)");
  add_common(x, cv.common);

  wellmonitor::ExtractCommand extract;
  auto* ex = wellmonitor::add_extract_command(app, extract);
  wellmonitor::LayoutCommand layout;
  auto* lay = wellmonitor::add_layout_command(app, layout);
  wellmonitor::ReviewCommand review;
  auto* rev = wellmonitor::add_review_command(app, review);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version exit 0; every usage error is one line (usage_error) and exit status 1.
    return app.exit(e) == 0 ? 0 : 1;
  }
  if (ex->parsed()) return wellmonitor::run_extract(extract);
  if (lay->parsed()) return wellmonitor::run_layout(layout);
  if (rev->parsed()) return wellmonitor::run_review(review);
  if (x->parsed()) return wellmonitor::run_crossval(cv);
  if (v->parsed()) return wellmonitor::run_verify(ver);
  if (st->parsed()) return wellmonitor::run_stress(stress);
  if (t->parsed()) {
    // The options only --recipe synthetic uses, as given (the plain recipe refuses them by name).
    for (const char* name : {"--augment", "--augment-p", "--patience", "--shifts", "--synthetic", "--checkpoint", "--resume"})
      if (t->get_option(name)->count() > 0) train.synthetic_options.push_back(name);
    return wellmonitor::run_train(train);
  }
  if (c->parsed()) return wellmonitor::run_calibrate(cal);
  if (e->parsed()) return wellmonitor::run_evaluate(ev);
  if (i->parsed()) return wellmonitor::run_info(info);
  return 2;
}
