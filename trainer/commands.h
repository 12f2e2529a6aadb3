// The trainer's subcommands. Each returns the process exit status.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace wellmonitor {

struct CommonOptions {
  std::string device = "auto";  // auto | cpu | cuda
  int threads = 0;              // LibTorch threads; 0 = all cores
  bool skip_bad = false;        // skip unreadable images with a warning
  bool quiet = false;           // no progress display
};

struct TrainCommand {
  CommonOptions common;
  std::string normal_dir, anomaly_dir, out;
  // Empty: the default, chosen once the crops are read (default_train_arch).
  std::string arch;
  std::vector<std::string> arch_params;  // key=value
  std::string color;  // empty: rgb for spill-cnn (as the shipped model), gray for the autoencoders
  std::string size = "64x64";
  std::string score = "mse";
  // Unset: the recipe's (autoencoders and --recipe synthetic: TrainOptions'
  // 60 epochs, 128 crops, 3e-4; the plain recipe: kPlainRecipeBatches batches
  // and at least 6 epochs, 96 normals and 32 spills a batch, 1e-3).
  std::optional<int> epochs;
  std::optional<int> batch_size;
  std::optional<double> learning_rate;
  int patience = 8;
  uint64_t seed = 1;
  std::optional<uint64_t> split_seed;  // default: seed
  double val_fraction = 0.05, calib_fraction = 0.10, test_fraction = 0.10;
  double spill_test_fraction = 0.5;
  double spill_train_fraction = 0.5;  // spill-cnn: share of the non-test wells whose spills it trains on
  std::string method;  // default: tnr-target with spills, quantile without
  double target_tnr = 0.99;
  double false_alarm_rate = 0.01;
  std::string checkpoint;
  bool resume = false;
  std::string augment = "none";  // none | shifts: train on shifted copies of normals too
  double augment_p = 0.5;        // share of training crops shifted in each batch
  std::string shifts = "occluder,box,photometric";  // kinds of shifts used in training
  std::string synthetic = "blob,blend";              // spill-cnn: kinds of synthetic spills
  std::string report;  // HTML report of the test and calibration parts (report.h)
  std::vector<std::string> labels;  // labels files '<file> <0|1>' (names relative to the file's folder)
  bool allow_zero_tpr = false;  // write a model that catches none of its held-out spills (it would never alarm)
  std::string recipe;           // spill-cnn: plain (empty: the default) or synthetic
  std::vector<std::string> synthetic_options;  // options given that only --recipe synthetic uses (for a clear error)
};

// The architecture `train` uses without --arch: the classifier of the shipped
// model (spill-cnn) when there are spills to learn from, else an autoencoder
// (compact-ae), the only kind that learns from normal crops alone.
std::string default_train_arch(bool have_spills);
// The input colour without --color: rgb for spill-cnn, gray for the autoencoders.
std::string default_train_color(const std::string& arch);

struct CalibrateCommand {
  CommonOptions common;
  std::string model, normal_dir, anomaly_dir, out;
  std::string method;
  double target_tnr = 0.99;
  double false_alarm_rate = 0.01;
  bool include_training = false;  // allow calibrating on the crops the model trained on
};

struct EvaluateCommand {
  CommonOptions common;
  std::string model, images_dir, labels, json_out, scores_out;
  double threshold = -1.0;  // < 0: the model's
  std::string report;       // HTML report (report.h)
};

struct StressCommand {
  CommonOptions common;
  std::vector<std::string> models;  // several models (e.g. training seeds) are pooled
  std::string normal_dir, anomaly_dir, json_out, preview, histogram;
  int seeds = 3;                    // seeds of the synthetic shifts and spills
  double threshold = -1.0;          // < 0: each model's own
  bool ensemble = false;            // score with the mean of all models' scores
  std::string report;               // HTML report of the first model, first seed (report.h)
};

struct VerifyCommand {
  CommonOptions common;
  std::string model, normal_dir, anomaly_dir, json_out;
  double tolerance = 1e-5;  // largest allowed |score now - recorded score|
};

// The plain recipe, the shipped model's (recipe.h trains it): a small
// classifier on normals and real spills, flips, light and video jitter only.
// The shipped model trained on 390 batches (6 epochs of 65: 4,656 recorded-day
// normals, 72 of them a batch); `train` gives the recipe as many by default.
constexpr int64_t kPlainRecipeBatches = 390;
struct PlainRecipe {
  std::string arch = "spill-cnn";
  std::vector<std::string> arch_params;  // key=value
  std::string color = "rgb";
  std::string size = "64x64";
  int epochs = 6;
  int batch_normal = 96;   // normals per batch
  int batch_spill = 32;    // spills per batch
  double learning_rate = 1e-3;
  double od_normal_share = 0.25;  // share of a batch's normals drawn from the other days' training folds
  double od_spill_share = 0.5;    // share of a batch's spills drawn from them
  std::string augment = "flip,light,video";
};

// The plain recipe on the plant's other days, cross-validated by group; or
// existing models scored on those days fold by fold.
struct CrossvalCommand {
  CommonOptions common;
  std::vector<std::string> models;  // score these instead of training
  std::string normal_dir, anomaly_dir, otherdays_dir, out, json_out, scores_out;
  std::string save_folds;  // folder for each fold's model and crop list
  PlainRecipe recipe;
  int folds = 4;
  int seeds = 1;
  uint64_t seed = 1;       // first training seed (and the recorded-day split)
  uint64_t fold_seed = 1;  // the folds
  std::string codec_frame, codec_wells;  // the scene of the h264 jitter: a camera frame and its layout
  int codec_copies = 2;                  // H.264 copies made of each training crop
  std::string calibrate_on = "crops";    // or "crops+h264": the rule also sees the other days' H.264 copies
  double test_fraction = 0.10;  // recorded-day normals held out (for verify)
  int normal_stride = 1;        // train on every Nth recorded-day training normal
  std::string method = "quantile";
  double false_alarm_rate = 0.0;  // quantile: share of out-of-fold normals allowed over the threshold (0: none)
  double threshold = -1.0;          // >= 0: fixed threshold instead of the rule
  bool mirror = false;              // test-time mirror: a crop's score is the mean of it and its mirror image
  double mirror_above = 0.02;       // ... for crops whose own score reaches this (0: every crop)
  std::string fold_models;          // score the fold models a --save-folds wrote here instead of training
  std::string final_model;          // with fold_models and --out: the recipe's model trained on every fold
};

struct InfoCommand {
  std::string model;
  bool full = false;
};

// Every well's crop from a recording, through the element's crop code (extract.cpp).
struct ExtractCommand {
  CommonOptions common;
  std::string video, wells, out, model;
  std::string from, to;     // stream times; empty: the start / the end
  int every = 1;            // analyse every Nth frame
  bool all = false;         // also write crops of wells that did not change
  double min_change = 2.0;  // mean absolute difference (8-bit levels) that counts as a change
};

// Proposes the wells of a camera's frame (propose-layout.cpp).
struct LayoutCommand {
  std::string image, out, picture, templ;
  int min_per_row = 4;          // rows with fewer cups are dropped
  double min_scale = 0.3, max_scale = 3.0;  // cup sizes tried, relative to the template
  double min_match = 0.35;      // lowest normalised cross-correlation of a cup
  double relative_match = 0.6;  // and as a share of the best matches' mean
  double seed_match = 0.8;      // matches that start a row, as a share of the best matches' mean
  bool feeding_cups = true;     // the best matches are feeding cups; the wells are the cups under them
};

// A page to label crops by hand (review.cpp).
struct ReviewCommand {
  std::string images, scores, out;
};

int run_train(const TrainCommand& c);
int run_calibrate(const CalibrateCommand& c);
int run_evaluate(const EvaluateCommand& c);
int run_info(const InfoCommand& c);
int run_stress(const StressCommand& c);
int run_verify(const VerifyCommand& c);
int run_crossval(const CrossvalCommand& c);
int run_extract(const ExtractCommand& c);
int run_layout(const LayoutCommand& c);
int run_review(const ReviewCommand& c);

// Subcommands that declare their own options (each in its own file).
CLI::App* add_extract_command(CLI::App& app, ExtractCommand& c);
CLI::App* add_layout_command(CLI::App& app, LayoutCommand& c);
CLI::App* add_review_command(CLI::App& app, ReviewCommand& c);

}  // namespace wellmonitor
