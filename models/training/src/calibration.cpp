#include "wellmonitor/calibration.h"

#include "wellmonitor/errors.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace wellmonitor {

void require_finite(const std::vector<double>& scores, const char* what) {
  if (const size_t bad = count_non_finite(scores))
    throw std::invalid_argument(std::to_string(bad) + " of " + std::to_string(scores.size()) + " " + what +
                                " scores are not finite numbers (NaN or infinite): the model's output is unusable");
}

double quantile(std::vector<double> values, double q) {
  if (values.empty()) throw std::invalid_argument("quantile of an empty set");
  require_finite(values, "input");
  std::sort(values.begin(), values.end());
  q = std::clamp(q, 0.0, 1.0);
  const double pos = q * static_cast<double>(values.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, values.size() - 1);
  const double frac = pos - static_cast<double>(lo);
  return values[lo] + (values[hi] - values[lo]) * frac;
}

namespace {

double fraction_at_most(const std::vector<double>& sorted, double t) {
  if (sorted.empty()) return std::numeric_limits<double>::quiet_NaN();
  return static_cast<double>(std::upper_bound(sorted.begin(), sorted.end(), t) - sorted.begin()) /
         static_cast<double>(sorted.size());
}

double fraction_above(const std::vector<double>& sorted, double t) {
  if (sorted.empty()) return std::numeric_limits<double>::quiet_NaN();
  return 1.0 - fraction_at_most(sorted, t);
}

// Every threshold between two neighbouring distinct scores gives the same
// counts; interval j spans [lo, hi) with lo = the j-th distinct score.
struct Interval {
  double lo, hi, tnr, tpr;
};

std::vector<Interval> sweep(const std::vector<double>& normal, const std::vector<double>& anomaly) {
  std::vector<double> all(normal);
  all.insert(all.end(), anomaly.begin(), anomaly.end());
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());
  std::vector<double> n(normal), a(anomaly);
  std::sort(n.begin(), n.end());
  std::sort(a.begin(), a.end());
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<Interval> out;
  out.reserve(all.size() + 1);
  const double below = all.empty() ? 0.0 : all.front() - 1.0;
  out.push_back({-inf, all.empty() ? inf : all.front(), fraction_at_most(n, below), fraction_above(a, below)});
  for (size_t i = 0; i < all.size(); ++i) {
    const double hi = i + 1 < all.size() ? all[i + 1] : inf;
    out.push_back({all[i], hi, fraction_at_most(n, all[i]), fraction_above(a, all[i])});
  }
  return out;
}

double middle(double lo, double hi) {
  if (std::isinf(hi)) return lo;
  if (std::isinf(lo)) return hi - std::max(1e-12, std::fabs(hi) * 1e-6);
  return 0.5 * (lo + hi);
}

Calibration finish(Calibration c, const std::vector<double>& normal, const std::vector<double>& anomaly) {
  std::vector<double> n(normal), a(anomaly);
  std::sort(n.begin(), n.end());
  std::sort(a.begin(), a.end());
  c.n_normal = normal.size();
  c.n_anomaly = anomaly.size();
  c.tnr = fraction_at_most(n, c.threshold);
  c.tpr = anomaly.empty() ? -1.0 : fraction_above(a, c.threshold);
  if (!normal.empty()) {
    c.normal_quantiles = {{"p50", quantile(normal, 0.50)},  {"p90", quantile(normal, 0.90)},
                          {"p95", quantile(normal, 0.95)},  {"p99", quantile(normal, 0.99)},
                          {"p99.9", quantile(normal, 0.999)}, {"max", n.back()}};
  }
  return c;
}

}  // namespace

Calibration calibrate_tnr_target(const std::vector<double>& normal, const std::vector<double>& anomaly,
                                 double target_tnr) {
  require_finite(normal, "normal");
  require_finite(anomaly, "spill");
  if (normal.empty()) throw std::invalid_argument("tnr-target calibration needs normal scores");
  if (!(target_tnr > 0.0 && target_tnr <= 1.0)) throw std::invalid_argument("target TNR must be in (0, 1]");
  const auto iv = sweep(normal, anomaly);
  size_t j0 = 0;
  while (j0 < iv.size() && iv[j0].tnr < target_tnr - 1e-12) ++j0;  // TNR grows with the threshold
  Calibration c;
  c.method = "tnr-target";
  c.parameter = target_tnr;
  if (anomaly.empty() || iv[j0].tpr <= 0.0) {
    c.threshold = iv[j0].lo;
  } else {
    size_t j1 = j0;  // TPR only falls with the threshold: the tied run is contiguous
    while (j1 + 1 < iv.size() && iv[j1 + 1].tpr == iv[j0].tpr) ++j1;
    c.threshold = middle(iv[j0].lo, iv[j1].hi);
  }
  return finish(c, normal, anomaly);
}

Calibration calibrate_quantile(const std::vector<double>& normal, const std::vector<double>& anomaly,
                               double false_alarm_rate) {
  require_finite(normal, "normal");
  require_finite(anomaly, "spill");
  if (normal.empty()) throw std::invalid_argument("quantile calibration needs normal scores");
  if (!(false_alarm_rate >= 0.0 && false_alarm_rate < 1.0))
    throw std::invalid_argument("false-alarm rate must be in [0, 1)");
  Calibration c;
  c.method = "quantile";
  c.parameter = false_alarm_rate;
  c.threshold = quantile(normal, 1.0 - false_alarm_rate);
  return finish(c, normal, anomaly);
}

Calibration calibrate_youden(const std::vector<double>& normal, const std::vector<double>& anomaly) {
  require_finite(normal, "normal");
  require_finite(anomaly, "spill");
  if (normal.empty() || anomaly.empty()) throw std::invalid_argument("youden calibration needs normal and spill scores");
  const auto iv = sweep(normal, anomaly);
  size_t best = 0;
  for (size_t j = 1; j < iv.size(); ++j)
    if (iv[j].tpr + iv[j].tnr > iv[best].tpr + iv[best].tnr + 1e-12) best = j;
  size_t last = best;
  const double j_best = iv[best].tpr + iv[best].tnr;
  while (last + 1 < iv.size() && std::fabs(iv[last + 1].tpr + iv[last + 1].tnr - j_best) <= 1e-12) ++last;
  Calibration c;
  c.method = "youden";
  c.threshold = middle(iv[best].lo, iv[last].hi);
  return finish(c, normal, anomaly);
}

Calibration calibrate_youden_plateau(const std::vector<double>& normal, const std::vector<double>& anomaly,
                                     double plateau) {
  require_finite(normal, "normal");
  require_finite(anomaly, "spill");
  if (normal.empty() || anomaly.empty())
    throw std::invalid_argument("youden-plateau calibration needs normal and spill scores");
  if (!(plateau >= 0.0 && plateau < 1.0)) throw std::invalid_argument("the plateau must be in [0, 1)");
  const auto iv = sweep(normal, anomaly);
  double best = -1.0;
  for (const auto& v : iv) best = std::max(best, v.tpr + v.tnr);
  size_t pick = 0;
  for (size_t j = iv.size(); j-- > 0;)  // from the highest threshold down
    if (iv[j].tpr + iv[j].tnr >= best - plateau - 1e-12) {
      pick = j;
      break;
    }
  Calibration c;
  c.method = "youden-plateau";
  c.parameter = plateau;
  c.threshold = middle(iv[pick].lo, iv[pick].hi);
  return finish(c, normal, anomaly);
}

Calibration calibrate_youden_logit(const std::vector<double>& normal, const std::vector<double>& anomaly) {
  if (normal.empty() || anomaly.empty())
    throw std::invalid_argument("youden-logit calibration needs normal and spill scores");
  const auto iv = sweep(normal, anomaly);
  // The widest of the intervals with the best J, measured in logits.
  auto logit = [](double p) {
    const double q = std::clamp(p, 1e-12, 1.0 - 1e-12);
    return std::log(q / (1.0 - q));
  };
  double best = -1.0;
  for (const auto& v : iv) best = std::max(best, v.tpr + v.tnr);
  double lo = 0.0, hi = 1.0, width = -1.0;
  for (const auto& v : iv) {
    if (v.tpr + v.tnr < best - 1e-12) continue;
    const double a = std::isinf(v.lo) ? 0.0 : v.lo, b = std::isinf(v.hi) ? 1.0 : v.hi;
    if (logit(b) - logit(a) > width) {
      width = logit(b) - logit(a);
      lo = a;
      hi = b;
    }
  }
  Calibration c;
  c.method = "youden-logit";
  const double m = 0.5 * (logit(lo) + logit(hi));
  c.threshold = std::clamp(1.0 / (1.0 + std::exp(-m)), lo, hi);
  return finish(c, normal, anomaly);
}

std::vector<std::string> calibration_methods() { return {"tnr-target", "quantile", "youden", "youden-logit"}; }

Calibration calibrate(const std::string& method, const std::vector<double>& normal,
                      const std::vector<double>& anomaly, double parameter) {
  if (method == "tnr-target") return calibrate_tnr_target(normal, anomaly, parameter);
  if (method == "quantile") return calibrate_quantile(normal, anomaly, parameter);
  if (method == "youden") return calibrate_youden(normal, anomaly);
  if (method == "youden-logit") return calibrate_youden_logit(normal, anomaly);
  throw std::invalid_argument("unknown calibration method '" + printable(method) +
                              "' (known: tnr-target, quantile, youden, youden-logit)");
}

}  // namespace wellmonitor
