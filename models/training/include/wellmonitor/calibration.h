// Threshold calibration and detection metrics. A crop is a spill when its
// score is strictly greater than the threshold.
#pragma once

#include "wellmonitor/model_records.h"  // Calibration, Metrics

#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>
#include <vector>

namespace wellmonitor {

// The reference rule: among thresholds that keep TNR >= target_tnr on the
// normals, the one with the highest TPR on the spills. All thresholds between
// two neighbouring scores behave alike on this data; of the tied ones (highest
// TPR, TNR >= target) the rule returns the middle of their interval, so the
// threshold keeps the widest margin to both sides. Without spills (or when no
// spill can be caught) it returns the smallest threshold reaching the target.
Calibration calibrate_tnr_target(const std::vector<double>& normal, const std::vector<double>& anomaly,
                                 double target_tnr);

// Normals only: the (1 - false_alarm_rate) quantile of normals held out from
// training (linear interpolation between order statistics, like numpy).
Calibration calibrate_quantile(const std::vector<double>& normal, const std::vector<double>& anomaly,
                               double false_alarm_rate);

// Between the two distributions: maximises TPR + TNR (Youden's J); of the
// tied thresholds, the middle of the first tied interval.
Calibration calibrate_youden(const std::vector<double>& normal, const std::vector<double>& anomaly);

// Youden's J with a preference for fewer false alarms: of the thresholds whose
// TPR + TNR is within `plateau` of the best, the highest (the middle of its
// interval between two neighbouring scores). plateau 0 is Youden's J with ties
// resolved upwards.
Calibration calibrate_youden_plateau(const std::vector<double>& normal, const std::vector<double>& anomaly,
                                     double plateau);

// For probability scores (in [0, 1]): of the thresholds with the best Youden's J,
// the widest interval between two neighbouring scores measured in logits, and
// its middle in logits (the geometric middle of the odds). A classifier's
// scores crowd towards 0 and 1, so the plain middle of a gap such as
// [0.02, 0.9] (0.46) would sit far closer to the spills than to the normals
// in the network's own units; the logit middle (0.30) does not.
Calibration calibrate_youden_logit(const std::vector<double>& normal, const std::vector<double>& anomaly);

// Dispatch by method name; throws std::invalid_argument for an unknown name or
// a rule that needs spills when none are given. Every rule (and quantile(),
// compute_metrics()) refuses NaN or infinite scores with std::invalid_argument:
// they have no order to sort or sweep by.
Calibration calibrate(const std::string& method, const std::vector<double>& normal,
                      const std::vector<double>& anomaly, double parameter);

std::vector<std::string> calibration_methods();

// numpy-style linear-interpolated quantile, q in [0, 1].
double quantile(std::vector<double> values, double q);

// How many of `values` are NaN or infinite.
size_t count_non_finite(const std::vector<double>& values);

// Throws std::invalid_argument ("3 of 40 <what> scores are not finite ...")
// when any score is NaN or infinite.
void require_finite(const std::vector<double>& scores, const char* what);

// scores[i] with labels[i] (1 = spill) at `threshold`.
Metrics compute_metrics(const std::vector<double>& scores, const std::vector<int>& labels, double threshold);

}  // namespace wellmonitor
