#include "common.h"

#include "progress.h"
#include "wellmonitor/augment.h"
#include "wellmonitor/device.h"

#include <fmt/core.h>
#include <fmt/ranges.h>

#include <chrono>
#include <cmath>
#include <ctime>
#include <numeric>
#include <thread>

namespace wellmonitor {

void warn(const std::string& msg) { fmt::print(stderr, "warning: {}\n", msg); }
void note(const CommonOptions& o, const std::string& msg) {
  if (!o.quiet) fmt::print(stderr, "{}\n", msg);
}

std::vector<Crop> load_dir(const std::string& dir, int label, const CommonOptions& o, const char* what) {
  LoadOptions lo;
  lo.skip_bad = o.skip_bad;
  LoadReport rep;
  auto crops = load_folder(dir, label, lo, &rep);
  for (const auto& b : rep.bad) warn(fmt::format("skipped {}", b));
  note(o, fmt::format("{}: {} files, {} distinct crops ({} duplicates dropped{})", what, rep.files, rep.loaded,
                      rep.duplicates, rep.bad.empty() ? "" : fmt::format(", {} unreadable skipped", rep.bad.size())));
  return crops;
}

torch::Tensor to_tensor(const std::vector<Crop>& crops, const std::vector<size_t>& idx, const PreprocessConfig& pc) {
  std::vector<cv::Mat> images;
  images.reserve(idx.size());
  for (size_t i : idx) images.push_back(crops[i].image);
  return preprocess_batch(images, pc);
}

std::vector<size_t> all_indices(size_t n) {
  std::vector<size_t> v(n);
  std::iota(v.begin(), v.end(), 0);
  return v;
}

std::vector<double> score_with_progress(Detector& det, const torch::Tensor& x, const CommonOptions& o,
                                        const std::string& label) {
  Progress bar(label, x.size(0), !o.quiet && x.size(0) > 512);
  std::vector<double> out;
  const auto t0 = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < x.size(0); i += 256) {
    auto part = score_all(det, x.slice(0, i, std::min(i + 256, x.size(0))));
    out.insert(out.end(), part.begin(), part.end());
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    bar.update(static_cast<int64_t>(out.size()), fmt::format("{:.0f} crops/s", out.size() / std::max(s, 1e-9)));
  }
  bar.finish();
  return out;
}

PreprocessConfig parse_preprocess(const std::string& color, const std::string& size) {
  PreprocessConfig pc;
  pc.color = color_mode_from_string(color);
  const auto x = size.find('x');
  try {
    if (x == std::string::npos) throw std::invalid_argument("");
    pc.width = std::stoi(size.substr(0, x));
    pc.height = std::stoi(size.substr(x + 1));
  } catch (const std::exception&) {
    throw std::invalid_argument("--size must be WIDTHxHEIGHT, e.g. 64x64, got '" + size + "'");
  }
  if (pc.width % 8 || pc.height % 8 || pc.width < 8 || pc.height < 8 || pc.width > 512 || pc.height > 512)
    throw std::invalid_argument("--size must be multiples of 8 between 8 and 512, got '" + size + "'");
  return pc;
}

nlohmann::json parse_arch_params(const std::vector<std::string>& kv) {
  nlohmann::json p = nlohmann::json::object();
  for (const auto& s : kv) {
    const auto eq = s.find('=');
    if (eq == std::string::npos || eq == 0) throw std::invalid_argument("--arch-param must be key=value, got '" + s + "'");
    const std::string key = s.substr(0, eq), value = s.substr(eq + 1);
    try {
      size_t used = 0;
      const long long v = std::stoll(value, &used);
      if (used != value.size()) throw std::invalid_argument("");
      p[key] = v;
    } catch (const std::exception&) {
      throw std::invalid_argument("--arch-param " + key + ": '" + value + "' is not an integer");
    }
  }
  return p;
}

std::string default_method(const std::string& method, bool have_spills) {
  if (!method.empty()) return method;
  return have_spills ? "tnr-target" : "quantile";
}

double method_parameter(const std::string& method, double target_tnr, double far) {
  return method == "tnr-target" ? target_tnr : (method == "quantile" ? far : 0.0);
}

std::string now_iso8601() {
  const std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

nlohmann::json short_hashes(const std::vector<Crop>& crops, const std::vector<size_t>& idx) {
  std::vector<std::string> h = hashes_in_order(crops, idx);
  std::sort(h.begin(), h.end());
  return h;
}

std::vector<std::string> hashes_in_order(const std::vector<Crop>& crops, const std::vector<size_t>& idx) {
  std::vector<std::string> h;
  for (size_t i : idx) h.push_back(crops[i].sha256.substr(0, kHashChars));
  return h;
}

std::string fmt_rate(double v) { return std::isfinite(v) ? fmt::format("{:.4f}", v) : "n/a"; }

void print_metrics(const std::string& title, const Metrics& m) {
  fmt::print("{:<28} n={:<5} TP={:<4} FN={:<4} TN={:<5} FP={:<4} TPR={} TNR={} ROC-AUC={} PR-AUC={}\n", title, m.n,
             m.tp, m.fn, m.tn, m.fp, fmt_rate(m.tpr), fmt_rate(m.tnr), fmt_rate(m.roc_auc), fmt_rate(m.pr_auc));
}

Metrics metrics_of(const std::vector<double>& normal, const std::vector<double>& spill, double thr) {
  std::vector<double> s(normal);
  s.insert(s.end(), spill.begin(), spill.end());
  std::vector<int> l(normal.size(), 0);
  l.insert(l.end(), spill.size(), 1);
  return compute_metrics(s, l, thr);
}

void setup_runtime(const CommonOptions& o) {
  const int threads = set_threads(o.threads > 0 ? o.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  note(o, fmt::format("LibTorch: {} thread(s)", threads));
}

std::set<std::string> hash_set(std::initializer_list<std::reference_wrapper<const std::vector<std::string>>> lists) {
  std::set<std::string> out;
  for (const auto& list : lists) out.insert(list.get().begin(), list.get().end());
  return out;
}

cv::Mat random_synthetic_spill(const cv::Mat& normal, const std::vector<Crop>& spills, const std::vector<size_t>& pool,
                               std::mt19937_64& rng, const std::vector<SpillKind>& kinds) {
  SpillKind kind = kinds.at(0);
  if (kinds == std::vector<SpillKind>{SpillKind::Blob, SpillKind::Blend})  // the first trainer's draw, kept
    kind = std::bernoulli_distribution(0.5)(rng) ? SpillKind::Blob : SpillKind::Blend;
  else if (kinds.size() > 1)
    kind = kinds[std::uniform_int_distribution<size_t>(0, kinds.size() - 1)(rng)];
  if (kind != SpillKind::Blend) return apply_spill(normal, kind, cv::Mat(), rng);
  const cv::Mat texture =
      pool.empty() ? cv::Mat() : spills[pool[std::uniform_int_distribution<size_t>(0, pool.size() - 1)(rng)]].image;
  return add_blend_spill(normal, texture, rng);
}

Calibration calibrate_stress_youden(Detector& det, const std::vector<cv::Mat>& normals,
                                    const std::vector<double>& normal_scores, const std::vector<double>& spill_scores,
                                    const std::vector<cv::Mat>& textures, const ShiftSet& shifts,
                                    const std::vector<SpillKind>& kinds, uint64_t seed) {
  if (normals.empty()) throw std::invalid_argument("stress-youden needs calibration normals");
  Rng rng(seed * 7919 + 17);
  std::vector<cv::Mat> shifted, synthetic;
  for (const auto& m : normals) {
    shifted.push_back(random_shift(m, rng, shifts));
    const SpillKind k = kinds.size() > 1 ? kinds[std::uniform_int_distribution<size_t>(0, kinds.size() - 1)(rng)]
                                         : kinds.at(0);
    const cv::Mat tex = textures.empty() ? cv::Mat()
                                         : textures[std::uniform_int_distribution<size_t>(0, textures.size() - 1)(rng)];
    synthetic.push_back(apply_spill(m, k, tex, rng));
  }
  std::vector<double> n(normal_scores), sp(spill_scores);
  const auto ns = score_all(det, shifted), ss = score_all(det, synthetic);
  n.insert(n.end(), ns.begin(), ns.end());
  sp.insert(sp.end(), ss.begin(), ss.end());
  // Of the thresholds within 0.005 of the best J, the highest: on this data J is
  // flat over a wide range, and where it is, fewer false alarms win (the demo
  // replay, a codec shift no training sees, lifted normal scores more than the
  // synthetic shifts do).
  Calibration cal = calibrate_youden_plateau(n, sp, 0.005);
  cal.method = "stress-youden";
  cal.n_normal = normal_scores.size();
  cal.n_anomaly = spill_scores.size();
  cal.normal_quantiles = calibrate("quantile", normal_scores, {}, 0.01).normal_quantiles;
  // The rates on the plain calibration part, as for the other rules.
  const Metrics plain = metrics_of(normal_scores, spill_scores, cal.threshold);
  cal.tnr = plain.tnr;
  cal.tpr = spill_scores.empty() ? -1.0 : plain.tpr;
  return cal;
}

std::pair<double, double> mean_sd(const std::vector<double>& v) {
  std::vector<double> f;
  for (double x : v)
    if (std::isfinite(x)) f.push_back(x);
  if (f.empty()) return {std::nan(""), std::nan("")};
  double m = 0.0;
  for (double x : f) m += x;
  m /= static_cast<double>(f.size());
  double ss = 0.0;
  for (double x : f) ss += (x - m) * (x - m);
  return {m, f.size() > 1 ? std::sqrt(ss / static_cast<double>(f.size() - 1)) : 0.0};
}

}  // namespace wellmonitor
