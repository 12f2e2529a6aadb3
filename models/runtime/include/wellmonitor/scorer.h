// The model as the GStreamer element sees it: open a model file on a device,
// score a batch of crops, read its threshold and what it records. No LibTorch
// in this header (the work is done by a Detector behind a pointer), so the
// element is glue that compiles without LibTorch's headers.
#pragma once

#include <opencv2/core.hpp>

#include <memory>
#include <string>
#include <vector>

namespace wellmonitor {

struct ScorerOptions {
  std::string device = "auto";  // auto | cpu | cuda | cuda:N (see device.h)
  // LibTorch intra-op threads (process-wide). 0: chosen by measurement when the
  // model opens: a batch of `batch` crops timed at one thread and at every core,
  // more threads kept only when they are clearly faster (by a fifth), since
  // OpenMP threads that spin collapse when another process takes a core.
  int threads = 0;
  int batch = 42;  // crops per batch, for the measurement (a layout's wells)
  // Sleeps this many microseconds in every score() call: a deliberately slow
  // model, for tests of what the element does when frames come faster.
  long delay_us = 0;
  // How the user picks another device, ending a DeviceError's message; empty:
  // the element's words (kElementDeviceHint in device.h: this is its façade).
  std::string device_hint;
};

// What a loaded model is and what its file records, for logs and the README.
struct ScorerInfo {
  std::string path;
  std::string arch;             // e.g. "seed-classifier"
  int input_width = 0;          // network input in pixels
  int input_height = 0;
  std::string color;            // "gray" or "rgb"
  std::string score;            // "probability", "mse", ...
  double threshold = 0.0;       // calibrated threshold
  std::string calibration;      // its method
  double calibration_tnr = -1;  // on the calibration normals
  double calibration_tpr = -1;  // on the calibration spills (-1: none)
  std::string loss;             // the training loss recorded
  std::string trainer_version;  // provenance
  std::string date;             // when it was trained
  std::string device;           // "cpu" or "cuda:N"
  int threads = 0;              // LibTorch intra-op threads in use
};

class Scorer {
 public:
  // Loads `path` onto the device options.device names. Throws ModelFileError
  // (a bad file: what() names it and the reason) or DeviceError (errors.h).
  static std::unique_ptr<Scorer> open(const std::string& path, const ScorerOptions& options = {});
  ~Scorer();
  Scorer(const Scorer&) = delete;
  Scorer& operator=(const Scorer&) = delete;

  // Scores all crops (8-bit BGR or grey, any size) in one batched forward
  // pass, one score per crop into `scores` (resized). The input batch is kept
  // between calls: the same number of crops allocates nothing of the element's
  // own per call. Throws std::exception (see error_text) when the model fails.
  void score(const std::vector<cv::Mat>& crops, std::vector<double>& scores);

  double threshold() const;          // calibrated, from the model file
  const std::string& device_name() const;  // "cpu" or "cuda:N"
  const ScorerInfo& info() const;

 private:
  struct Impl;
  explicit Scorer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace wellmonitor
