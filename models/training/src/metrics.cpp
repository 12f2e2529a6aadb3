#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>

#include "wellmonitor/calibration.h"

namespace wellmonitor {

size_t count_non_finite(const std::vector<double>& values) {
  return static_cast<size_t>(std::count_if(values.begin(), values.end(), [](double v) { return !std::isfinite(v); }));
}

Metrics compute_metrics(const std::vector<double>& scores, const std::vector<int>& labels, double threshold) {
  if (scores.size() != labels.size()) throw std::invalid_argument("compute_metrics: scores and labels differ in length");
  // NaN has no order: the ranks and the precision-recall sweep below need one.
  const size_t bad = count_non_finite(scores);
  if (bad)
    throw std::invalid_argument(std::to_string(bad) + " of " + std::to_string(scores.size()) +
                                " scores are not finite numbers (NaN or infinite): the model's output is unusable");
  if (!std::isfinite(threshold)) throw std::invalid_argument("the threshold is not a finite number");
  const double nan = std::numeric_limits<double>::quiet_NaN();
  Metrics m;
  m.threshold = threshold;
  m.n = scores.size();
  for (size_t i = 0; i < scores.size(); ++i) {
    const bool predicted = scores[i] > threshold;
    if (labels[i]) predicted ? ++m.tp : ++m.fn;
    else predicted ? ++m.fp : ++m.tn;
  }
  const size_t pos = m.tp + m.fn, neg = m.tn + m.fp;
  m.tpr = pos ? static_cast<double>(m.tp) / pos : nan;
  m.tnr = neg ? static_cast<double>(m.tn) / neg : nan;
  if (!pos || !neg) {
    m.roc_auc = m.pr_auc = nan;
    return m;
  }
  // ROC AUC = P(score of a spill > score of a normal), ties counting one half
  // (Mann-Whitney U from average ranks).
  std::vector<size_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] < scores[b]; });
  double rank_sum = 0.0;
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j + 1 < order.size() && scores[order[j + 1]] == scores[order[i]]) ++j;
    const double avg_rank = 0.5 * static_cast<double>(i + j) + 1.0;
    for (size_t k = i; k <= j; ++k)
      if (labels[order[k]]) rank_sum += avg_rank;
    i = j + 1;
  }
  m.roc_auc = (rank_sum - static_cast<double>(pos) * (pos + 1) / 2.0) / (static_cast<double>(pos) * neg);
  // Average precision: sum over distinct thresholds (descending) of
  // (recall_k - recall_{k-1}) * precision_k, as scikit-learn computes it.
  double ap = 0.0, prev_recall = 0.0;
  size_t tp = 0, fp = 0;
  for (size_t i = order.size(); i > 0;) {
    size_t j = i;
    const double s = scores[order[i - 1]];
    while (j > 0 && scores[order[j - 1]] == s) {
      labels[order[j - 1]] ? ++tp : ++fp;
      --j;
    }
    const double recall = static_cast<double>(tp) / pos;
    const double precision = static_cast<double>(tp) / static_cast<double>(tp + fp);
    ap += (recall - prev_recall) * precision;
    prev_recall = recall;
    i = j;
  }
  m.pr_auc = ap;
  return m;
}

}  // namespace wellmonitor
