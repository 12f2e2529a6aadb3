// Threshold rules and detection metrics on small hand-made score sets. Every
// expected value below is worked out by hand in the comment beside it. A crop is
// a spill when its score is strictly greater than the threshold.
#include "wellmonitor/calibration.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>
#include <limits>
#include <vector>

namespace wm = wellmonitor;

namespace {
const std::vector<double> kOneToTen = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
constexpr double kEps = 1e-12;
}  // namespace

// ---------------------------------------------------------------- quantile

// numpy.quantile(values, q) with its default linear interpolation:
// pos = q * (n - 1), value = v[floor(pos)] + frac * (v[floor(pos) + 1] - v[floor(pos)]).
TEST(Quantile, LinearInterpolationLikeNumpy) {
  EXPECT_DOUBLE_EQ(wm::quantile({3, 1, 2}, 0.5), 2.0);      // sorted 1 2 3, pos 1
  EXPECT_DOUBLE_EQ(wm::quantile({4, 1, 3, 2}, 0.5), 2.5);   // pos 1.5: 2 + 0.5 * 1
  EXPECT_DOUBLE_EQ(wm::quantile({10, 0}, 0.25), 2.5);       // pos 0.25: 0 + 0.25 * 10
  EXPECT_NEAR(wm::quantile(kOneToTen, 0.95), 9.55, kEps);   // pos 8.55: 9 + 0.55 * 1
  EXPECT_NEAR(wm::quantile(kOneToTen, 0.9), 9.1, kEps);     // pos 8.1: 9 + 0.1
  EXPECT_DOUBLE_EQ(wm::quantile(kOneToTen, 0.0), 1.0);
  EXPECT_DOUBLE_EQ(wm::quantile(kOneToTen, 1.0), 10.0);
  EXPECT_DOUBLE_EQ(wm::quantile({7}, 0.3), 7.0);
  EXPECT_THROW(wm::quantile({}, 0.5), std::invalid_argument);
}

// ---------------------------------------------------------------- tnr-target

// normal 1..10, spills {8.5, 11, 12}, target TNR 0.9.
// TNR >= 0.9 needs at least 9 of the 10 normals <= t, i.e. t >= 9.
//   t in [9, 10):  TNR 0.9, TPR 2/3 (11 and 12 are > t, 8.5 is not)
//   t in [10, 11): TNR 1.0, TPR 2/3
//   t in [11, 12): TNR 1.0, TPR 1/3
// Highest TPR with TNR >= 0.9 is 2/3 on [9, 11): its middle is 10.
// At t = 10: TNR = 10/10 = 1, TPR = 2/3.
TEST(CalibrateTnrTarget, PicksMiddleOfBestInterval) {
  const auto c = wm::calibrate_tnr_target(kOneToTen, {8.5, 11, 12}, 0.9);
  EXPECT_DOUBLE_EQ(c.threshold, 10.0);
  EXPECT_EQ(c.method, "tnr-target");
  EXPECT_DOUBLE_EQ(c.parameter, 0.9);
  EXPECT_DOUBLE_EQ(c.tnr, 1.0);
  EXPECT_NEAR(c.tpr, 2.0 / 3.0, kEps);
  EXPECT_EQ(c.n_normal, 10u);
  EXPECT_EQ(c.n_anomaly, 3u);
  // Calibration-normal quantiles (numpy linear): p50 = 5.5, p90 = 9.1, p99 = 9.91, max = 10.
  EXPECT_NEAR(c.normal_quantiles.at("p50").get<double>(), 5.5, kEps);
  EXPECT_NEAR(c.normal_quantiles.at("p90").get<double>(), 9.1, kEps);
  EXPECT_NEAR(c.normal_quantiles.at("p99").get<double>(), 9.91, kEps);
  EXPECT_DOUBLE_EQ(c.normal_quantiles.at("max").get<double>(), 10.0);
}

// Tied scores: normal {0.1, 0.2, 0.2, 0.3}, spills {0.3, 0.5, 0.9}, target 0.75.
// (0.2 appears twice among normals; 0.3 is both a normal and a spill score.)
//   t in [0.1, 0.2): TNR 1/4
//   t in [0.2, 0.3): TNR 3/4 >= 0.75, TPR 3/3 (all spills > t)
//   t in [0.3, 0.5): TNR 1,          TPR 2/3 (0.3 is not > 0.3)
// Best is [0.2, 0.3) alone: threshold 0.25, TNR 0.75, TPR 1.
TEST(CalibrateTnrTarget, TiedScores) {
  const auto c = wm::calibrate_tnr_target({0.1, 0.2, 0.2, 0.3}, {0.3, 0.5, 0.9}, 0.75);
  EXPECT_NEAR(c.threshold, 0.25, kEps);
  EXPECT_DOUBLE_EQ(c.tnr, 0.75);
  EXPECT_DOUBLE_EQ(c.tpr, 1.0);
}

// Input order does not matter.
TEST(CalibrateTnrTarget, OrderIndependent) {
  const auto a = wm::calibrate_tnr_target({0.3, 0.2, 0.1, 0.2}, {0.9, 0.3, 0.5}, 0.75);
  EXPECT_NEAR(a.threshold, 0.25, kEps);
}

// No spills: the smallest threshold reaching the target.
//   target 0.9 on 1..10: 9 normals <= 9, so t = 9 (TNR exactly 0.9);
//   target 1.0: t = 10; target 0.95: needs 9.5 of 10, i.e. all 10: t = 10;
//   target 0.5: 5 normals <= 5: t = 5.
TEST(CalibrateTnrTarget, NoSpillsGivesSmallestThresholdReachingTarget) {
  auto c = wm::calibrate_tnr_target(kOneToTen, {}, 0.9);
  EXPECT_DOUBLE_EQ(c.threshold, 9.0);
  EXPECT_DOUBLE_EQ(c.tnr, 0.9);
  EXPECT_DOUBLE_EQ(c.tpr, -1.0);  // none given
  EXPECT_EQ(c.n_anomaly, 0u);
  EXPECT_DOUBLE_EQ(wm::calibrate_tnr_target(kOneToTen, {}, 1.0).threshold, 10.0);
  EXPECT_DOUBLE_EQ(wm::calibrate_tnr_target(kOneToTen, {}, 0.95).threshold, 10.0);
  EXPECT_DOUBLE_EQ(wm::calibrate_tnr_target(kOneToTen, {}, 0.5).threshold, 5.0);
  // The reported TPR is absent from the JSON when no spills were given.
  EXPECT_FALSE(c.to_json().contains("tpr"));
}

// Spills that no admissible threshold catches (all below the 9 the target needs):
// the same smallest threshold 9, with TPR 0.
TEST(CalibrateTnrTarget, NoSpillCatchable) {
  const auto c = wm::calibrate_tnr_target(kOneToTen, {0.5, 2.5}, 0.9);
  EXPECT_DOUBLE_EQ(c.threshold, 9.0);
  EXPECT_DOUBLE_EQ(c.tpr, 0.0);
  EXPECT_DOUBLE_EQ(c.tnr, 0.9);
}

// Perfectly separated: normal {1, 2, 3}, spills {10, 20}, target 1.0.
// TNR 1 needs t >= 3; TPR stays 1 on [3, 10) and drops at 10: middle 6.5.
TEST(CalibrateTnrTarget, SeparatedSetsGetTheMiddleOfTheGap) {
  const auto c = wm::calibrate_tnr_target({1, 2, 3}, {10, 20}, 1.0);
  EXPECT_DOUBLE_EQ(c.threshold, 6.5);
  EXPECT_DOUBLE_EQ(c.tnr, 1.0);
  EXPECT_DOUBLE_EQ(c.tpr, 1.0);
}

TEST(CalibrateTnrTarget, BadParameters) {
  EXPECT_THROW(wm::calibrate_tnr_target(kOneToTen, {11}, 0.0), std::invalid_argument);
  EXPECT_THROW(wm::calibrate_tnr_target(kOneToTen, {11}, -0.5), std::invalid_argument);
  EXPECT_THROW(wm::calibrate_tnr_target(kOneToTen, {11}, 1.5), std::invalid_argument);
  EXPECT_THROW(wm::calibrate_tnr_target(kOneToTen, {11}, std::numeric_limits<double>::quiet_NaN()),
               std::invalid_argument);
  EXPECT_THROW(wm::calibrate_tnr_target({}, {11}, 0.9), std::invalid_argument);
}

// ---------------------------------------------------------------- quantile rule

// false-alarm rate 0.05 on 1..10: the 0.95 quantile = 9.55 (pos 8.55).
// TNR at 9.55: 9 normals <= 9.55 -> 0.9; spills {9.6, 3}: only 9.6 > 9.55 -> TPR 0.5.
TEST(CalibrateQuantile, NumpyQuantileOfNormals) {
  const auto c = wm::calibrate_quantile(kOneToTen, {9.6, 3}, 0.05);
  EXPECT_NEAR(c.threshold, 9.55, kEps);
  EXPECT_EQ(c.method, "quantile");
  EXPECT_DOUBLE_EQ(c.parameter, 0.05);
  EXPECT_DOUBLE_EQ(c.tnr, 0.9);
  EXPECT_DOUBLE_EQ(c.tpr, 0.5);
  // Rate 0: the largest normal; rate 0.5 on {1, 2, 3, 4}: median 2.5.
  EXPECT_DOUBLE_EQ(wm::calibrate_quantile(kOneToTen, {}, 0.0).threshold, 10.0);
  EXPECT_DOUBLE_EQ(wm::calibrate_quantile({1, 2, 3, 4}, {}, 0.5).threshold, 2.5);
  EXPECT_DOUBLE_EQ(wm::calibrate_quantile({1, 2, 3, 4}, {}, 0.5).tpr, -1.0);
}

TEST(CalibrateQuantile, BadParameters) {
  EXPECT_THROW(wm::calibrate_quantile(kOneToTen, {}, -0.01), std::invalid_argument);
  EXPECT_THROW(wm::calibrate_quantile(kOneToTen, {}, 1.0), std::invalid_argument);
  EXPECT_THROW(wm::calibrate_quantile(kOneToTen, {}, std::numeric_limits<double>::quiet_NaN()),
               std::invalid_argument);
  EXPECT_THROW(wm::calibrate_quantile({}, {}, 0.01), std::invalid_argument);
}

// ---------------------------------------------------------------- youden

// normal {1, 2, 3, 4}, spills {3.5, 5, 6}; J = TPR + TNR per interval:
//   t < 1: 0 + 1 = 1      [1, 2): .25 + 1 = 1.25   [2, 3): .5 + 1 = 1.5
//   [3, 3.5): .75 + 1 = 1.75 (best)   [3.5, 4): .75 + 2/3   [4, 5): 1 + 2/3   [5, 6): 1 + 1/3   t >= 6: 1
// -> middle of [3, 3.5) = 3.25, TNR .75, TPR 1.
TEST(CalibrateYouden, MaximisesTprPlusTnr) {
  const auto c = wm::calibrate_youden({1, 2, 3, 4}, {3.5, 5, 6});
  EXPECT_DOUBLE_EQ(c.threshold, 3.25);
  EXPECT_EQ(c.method, "youden");
  EXPECT_DOUBLE_EQ(c.tnr, 0.75);
  EXPECT_DOUBLE_EQ(c.tpr, 1.0);
}

// A contiguous tie: normal {1, 2}, spills {2, 3}.
//   [1, 2): .5 + 1 = 1.5   [2, 3): 1 + .5 = 1.5   (2 is both a normal and a spill score)
// The tied run is [1, 3): middle 2; at t = 2, TNR 1 (both normals <= 2), TPR .5.
TEST(CalibrateYouden, ContiguousTieTakesMiddleOfTheRun) {
  const auto c = wm::calibrate_youden({1, 2}, {2, 3});
  EXPECT_DOUBLE_EQ(c.threshold, 2.0);
  EXPECT_DOUBLE_EQ(c.tnr, 1.0);
  EXPECT_DOUBLE_EQ(c.tpr, 0.5);
}

// Separate tied maxima: normal {1, 4}, spills {2, 5}.
//   [1, 2): .5 + 1 = 1.5   [2, 4): .5 + .5 = 1   [4, 5): 1 + .5 = 1.5
// The first tied interval [1, 2) wins: 1.5.
TEST(CalibrateYouden, SeparateTiesTakeTheFirstInterval) {
  const auto c = wm::calibrate_youden({1, 4}, {2, 5});
  EXPECT_DOUBLE_EQ(c.threshold, 1.5);
  EXPECT_DOUBLE_EQ(c.tnr, 0.5);
  EXPECT_DOUBLE_EQ(c.tpr, 1.0);
}

TEST(CalibrateYouden, NeedsBothClasses) {
  EXPECT_THROW(wm::calibrate_youden(kOneToTen, {}), std::invalid_argument);
  EXPECT_THROW(wm::calibrate_youden({}, {1.0}), std::invalid_argument);
}

// ---------------------------------------------------------------- dispatch

TEST(Calibrate, DispatchByName) {
  EXPECT_DOUBLE_EQ(wm::calibrate("tnr-target", kOneToTen, {8.5, 11, 12}, 0.9).threshold, 10.0);
  EXPECT_NEAR(wm::calibrate("quantile", kOneToTen, {}, 0.05).threshold, 9.55, kEps);
  EXPECT_DOUBLE_EQ(wm::calibrate("youden", {1, 2, 3, 4}, {3.5, 5, 6}, 0.0).threshold, 3.25);
  EXPECT_THROW(wm::calibrate("median", kOneToTen, {}, 0.5), std::invalid_argument);
  EXPECT_THROW(wm::calibrate("youden", kOneToTen, {}, 0.0), std::invalid_argument);
  EXPECT_EQ(wm::calibration_methods(), (std::vector<std::string>{"tnr-target", "quantile", "youden", "youden-logit"}));
}

TEST(Calibrate, JsonRoundTrip) {
  const auto c = wm::calibrate_tnr_target(kOneToTen, {8.5, 11, 12}, 0.9);
  const auto j = c.to_json();
  EXPECT_DOUBLE_EQ(j.at("threshold").get<double>(), 10.0);
  const auto back = wm::Calibration::from_json(j);
  EXPECT_DOUBLE_EQ(back.threshold, c.threshold);
  EXPECT_EQ(back.method, c.method);
  EXPECT_DOUBLE_EQ(back.parameter, c.parameter);
  EXPECT_DOUBLE_EQ(back.tnr, c.tnr);
  EXPECT_DOUBLE_EQ(back.tpr, c.tpr);
  EXPECT_EQ(back.n_normal, c.n_normal);
  EXPECT_EQ(back.n_anomaly, c.n_anomaly);
  EXPECT_EQ(back.normal_quantiles, c.normal_quantiles);
}

// ---------------------------------------------------------------- metrics

// scikit-learn's example: scores {0.1, 0.4, 0.35, 0.8}, labels {0, 0, 1, 1}, threshold 0.375.
//   predicted: 0.1 no (TN), 0.4 yes (FP), 0.35 no (FN), 0.8 yes (TP) -> 1/1/1/1, TPR .5, TNR .5
//   ROC AUC: spill/normal pairs (0.35>0.1) (0.35<0.4) (0.8>0.1) (0.8>0.4) -> 3/4 = 0.75
//   AP: thresholds descending 0.8 (P 1, R .5), 0.4 (P .5, R .5), 0.35 (P 2/3, R 1), 0.1 (P .5, R 1)
//       = .5 * 1 + 0 * .5 + .5 * 2/3 + 0 = 0.8333...  (sklearn's average_precision_score: 0.83)
TEST(Metrics, ScikitLearnExample) {
  const auto m = wm::compute_metrics({0.1, 0.4, 0.35, 0.8}, {0, 0, 1, 1}, 0.375);
  EXPECT_EQ(m.tp, 1u);
  EXPECT_EQ(m.tn, 1u);
  EXPECT_EQ(m.fp, 1u);
  EXPECT_EQ(m.fn, 1u);
  EXPECT_EQ(m.n, 4u);
  EXPECT_DOUBLE_EQ(m.tpr, 0.5);
  EXPECT_DOUBLE_EQ(m.tnr, 0.5);
  EXPECT_DOUBLE_EQ(m.roc_auc, 0.75);
  EXPECT_NEAR(m.pr_auc, 5.0 / 6.0, kEps);
  EXPECT_DOUBLE_EQ(m.threshold, 0.375);
}

// Ties: scores {0.5, 0.5, 0.5, 0.9, 0.1}, labels {1, 0, 0, 1, 0}, threshold 0.5.
//   predicted (> 0.5): only 0.9 -> TP 1, FN 1 (the spill at 0.5), FP 0, TN 3; TPR .5, TNR 1
//   ROC AUC: spill 0.5 vs normals {0.5, 0.5, 0.1}: .5 + .5 + 1 = 2; spill 0.9 vs all: 3 -> 5/6
//   AP: 0.9 (P 1, R .5) -> .5; 0.5 takes the three tied at once (TP 2, FP 2: P .5, R 1) -> .5 * .5;
//       0.1 (R 1) -> 0. AP = 0.75
TEST(Metrics, TiesCountHalfAndThresholdIsStrict) {
  const auto m = wm::compute_metrics({0.5, 0.5, 0.5, 0.9, 0.1}, {1, 0, 0, 1, 0}, 0.5);
  EXPECT_EQ(m.tp, 1u);
  EXPECT_EQ(m.fn, 1u);
  EXPECT_EQ(m.fp, 0u);
  EXPECT_EQ(m.tn, 3u);
  EXPECT_DOUBLE_EQ(m.tpr, 0.5);
  EXPECT_DOUBLE_EQ(m.tnr, 1.0);
  EXPECT_NEAR(m.roc_auc, 5.0 / 6.0, kEps);
  EXPECT_NEAR(m.pr_auc, 0.75, kEps);
}

// Perfect and inverted rankings.
//   separated: ROC 1, AP 1.
//   inverted (normals {0.9, 0.8}, spills {0.1, 0.2}): ROC 0;
//   AP: 0.9 (R 0), 0.8 (R 0), 0.2 (TP 1 FP 2: P 1/3, R .5) -> 1/6, 0.1 (P .5, R 1) -> .25; AP = 5/12
TEST(Metrics, PerfectAndInvertedRankings) {
  auto m = wm::compute_metrics({0.1, 0.2, 0.8, 0.9}, {0, 0, 1, 1}, 0.5);
  EXPECT_DOUBLE_EQ(m.roc_auc, 1.0);
  EXPECT_DOUBLE_EQ(m.pr_auc, 1.0);
  EXPECT_EQ(m.tp, 2u);
  EXPECT_EQ(m.tn, 2u);
  m = wm::compute_metrics({0.9, 0.8, 0.1, 0.2}, {0, 0, 1, 1}, 0.5);
  EXPECT_DOUBLE_EQ(m.roc_auc, 0.0);
  EXPECT_NEAR(m.pr_auc, 5.0 / 12.0, kEps);
  EXPECT_EQ(m.fp, 2u);
  EXPECT_EQ(m.fn, 2u);
  // All scores equal: ROC AUC 0.5 (every pair a tie); AP = prevalence = 2/4.
  m = wm::compute_metrics({0.3, 0.3, 0.3, 0.3}, {0, 1, 0, 1}, 0.0);
  EXPECT_DOUBLE_EQ(m.roc_auc, 0.5);
  EXPECT_DOUBLE_EQ(m.pr_auc, 0.5);
  EXPECT_EQ(m.tp, 2u);
  EXPECT_EQ(m.fp, 2u);
}

// A class absent: its rate and both AUCs are NaN, and JSON writes them as null.
TEST(Metrics, AbsentClassGivesNaN) {
  auto m = wm::compute_metrics({0.1, 0.7, 0.3}, {0, 0, 0}, 0.5);
  EXPECT_EQ(m.tn, 2u);
  EXPECT_EQ(m.fp, 1u);
  EXPECT_NEAR(m.tnr, 2.0 / 3.0, kEps);
  EXPECT_TRUE(std::isnan(m.tpr));
  EXPECT_TRUE(std::isnan(m.roc_auc));
  EXPECT_TRUE(std::isnan(m.pr_auc));
  auto j = m.to_json();
  EXPECT_TRUE(j.at("tpr").is_null());
  EXPECT_TRUE(j.at("roc_auc").is_null());
  EXPECT_TRUE(j.at("pr_auc").is_null());
  EXPECT_NEAR(j.at("tnr").get<double>(), 2.0 / 3.0, kEps);

  m = wm::compute_metrics({0.9, 0.2}, {1, 1}, 0.5);
  EXPECT_EQ(m.tp, 1u);
  EXPECT_EQ(m.fn, 1u);
  EXPECT_DOUBLE_EQ(m.tpr, 0.5);
  EXPECT_TRUE(std::isnan(m.tnr));
  EXPECT_TRUE(std::isnan(m.roc_auc));
  EXPECT_TRUE(std::isnan(m.pr_auc));

  m = wm::compute_metrics({}, {}, 0.5);
  EXPECT_EQ(m.n, 0u);
  EXPECT_TRUE(std::isnan(m.tpr));
  EXPECT_TRUE(std::isnan(m.tnr));
}

TEST(Metrics, JsonHasTheContractKeys) {
  const auto m = wm::compute_metrics({0.1, 0.4, 0.35, 0.8}, {0, 0, 1, 1}, 0.375);
  const auto j = m.to_json();
  for (const char* k : {"tp", "tn", "fp", "fn", "tpr", "tnr", "roc_auc", "pr_auc", "threshold", "n"})
    EXPECT_TRUE(j.contains(k)) << k;
  EXPECT_EQ(j.at("tp").get<int>(), 1);
  EXPECT_EQ(j.at("n").get<int>(), 4);
  EXPECT_DOUBLE_EQ(j.at("roc_auc").get<double>(), 0.75);
  EXPECT_DOUBLE_EQ(j.at("threshold").get<double>(), 0.375);
}

TEST(Metrics, LengthMismatchThrows) {
  EXPECT_THROW(wm::compute_metrics({0.1, 0.2}, {0}, 0.5), std::invalid_argument);
}

// Normals {0.1, 0.2, 0.3}, spills {0.25, 0.8, 0.9}; alarm when score > t:
//   t in [0.8, 0.9):  TPR 1/3, TNR 1    -> J = 1/3
//   t in [0.3, 0.8):  TPR 2/3, TNR 1    -> J = 2/3   (best; middle 0.55)
//   t in [0.25, 0.3): TPR 2/3, TNR 2/3  -> J = 1/3
//   t in [0.2, 0.25): TPR 1,   TNR 2/3  -> J = 2/3   (best too; middle 0.225)
//   t in [0.1, 0.2):  TPR 1,   TNR 1/3  -> J = 1/3
// Plain Youden takes the first (lowest) best interval; the plateau rule the
// highest within the plateau: 0.55 for any plateau under 1/3, 0.85 at 0.4.
TEST(Calibration, YoudenPlateauPrefersTheHighestNearBestThreshold) {
  const std::vector<double> n = {0.1, 0.2, 0.3}, a = {0.25, 0.8, 0.9};
  EXPECT_DOUBLE_EQ(wm::calibrate_youden(n, a).threshold, 0.225);
  auto c = wm::calibrate_youden_plateau(n, a, 0.0);
  EXPECT_DOUBLE_EQ(c.threshold, 0.55);
  EXPECT_EQ(c.method, "youden-plateau");
  EXPECT_DOUBLE_EQ(c.tpr, 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(c.tnr, 1.0);
  EXPECT_DOUBLE_EQ(wm::calibrate_youden_plateau(n, a, 0.3).threshold, 0.55);
  c = wm::calibrate_youden_plateau(n, a, 0.4);
  EXPECT_DOUBLE_EQ(c.threshold, 0.85);
  EXPECT_DOUBLE_EQ(c.parameter, 0.4);
  EXPECT_THROW(wm::calibrate_youden_plateau(n, {}, 0.0), std::invalid_argument);
  EXPECT_THROW(wm::calibrate_youden_plateau(n, a, 1.5), std::invalid_argument);
}

// ---------------------------------------------------------------- NaN and infinity

namespace {
std::string invalid_argument_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "<no std::invalid_argument>";
}
}  // namespace

// A NaN has no order: ranking and the precision-recall sweep would loop or sort
// undefined. compute_metrics refuses it (and infinity) at once with a message.
TEST(Metrics, NonFiniteScoresAreRefusedNotLoopedOn) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  auto msg = invalid_argument_of([&] { wm::compute_metrics({0.1, nan, 0.3, 0.9}, {0, 0, 1, 1}, 0.5); });
  EXPECT_NE(msg.find("1 of 4 scores are not finite"), std::string::npos) << msg;
  // All NaN, as from a model whose weights are NaN.
  msg = invalid_argument_of([&] { wm::compute_metrics(std::vector<double>(50, nan), std::vector<int>(50, 1), 0.5); });
  EXPECT_NE(msg.find("50 of 50"), std::string::npos) << msg;
  EXPECT_THROW(wm::compute_metrics({0.1, inf}, {0, 1}, 0.5), std::invalid_argument);
  EXPECT_THROW(wm::compute_metrics({0.1, -inf}, {0, 1}, 0.5), std::invalid_argument);
  EXPECT_THROW(wm::compute_metrics({0.1, 0.2}, {0, 1}, nan), std::invalid_argument);
  // Finite scores still work.
  EXPECT_EQ(wm::compute_metrics({0.1, 0.9}, {0, 1}, 0.5).tp, 1u);
}

TEST(Calibrate, EveryRuleRefusesNonFiniteScores) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<double> good = {0.1, 0.2, 0.3}, spills = {0.7, 0.8};
  const std::vector<double> bad_n = {0.1, nan, 0.3}, bad_s = {0.7, inf};
  for (const char* method : {"tnr-target", "quantile", "youden"}) {
    SCOPED_TRACE(method);
    const double p = std::string(method) == "tnr-target" ? 0.9 : 0.01;
    auto msg = invalid_argument_of([&] { wm::calibrate(method, bad_n, spills, p); });
    EXPECT_NE(msg.find("normal scores are not finite"), std::string::npos) << msg;
    msg = invalid_argument_of([&] { wm::calibrate(method, good, bad_s, p); });
    EXPECT_NE(msg.find("spill scores are not finite"), std::string::npos) << msg;
  }
  EXPECT_THROW(wm::calibrate_youden_plateau(bad_n, spills, 0.01), std::invalid_argument);
  EXPECT_THROW(wm::calibrate_youden_plateau(good, bad_s, 0.01), std::invalid_argument);
  EXPECT_THROW(wm::quantile({1.0, nan, 3.0}, 0.5), std::invalid_argument);
}
