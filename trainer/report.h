// One self-contained HTML report of a model's scores (evaluate, stress and
// train --report): the loss curve, the score distributions of normals and
// spills with the threshold, ROC and PR curves with the operating point,
// TPR/TNR per part and per well, and tiles of the worst false alarms and
// misses (for an autoencoder with its reconstruction and error map). The
// charts are drawn by Chart.js (Debian's libjs-chart.js), inlined: the file
// needs no network.
#pragma once

#include "wellmonitor/detector.h"

#include <nlohmann/json.hpp>

#include <opencv2/core.hpp>

#include <string>
#include <vector>

namespace wellmonitor {

struct ReportCrop {
  std::string name;
  std::string part;  // "test", "occluder", ... ("all" for evaluate)
  int label = 0;     // 1 = spill
  double score = 0;
  cv::Mat image;     // 8-bit BGR, for the tiles
  int well = -1;     // from the file name, -1 unknown
};

struct ReportData {
  std::string title;      // "evaluate", "stress", "train"
  std::string model_path;
  double threshold = 0;
  std::vector<ReportCrop> crops;
  nlohmann::json training;  // the loss curve's record; null: the detector's model's
};

// Writes the report; `detector` gives the loss curve (the model's training
// record) and the autoencoder's reconstructions. Throws std::runtime_error
// naming the file when it cannot be written or Chart.js is missing.
void write_report(const ReportData& data, Detector& detector, const std::string& path);

// The well of a crop's file name: the number of "<well>_CAM_..." names, or -1.
int well_of_name(const std::string& name);

}  // namespace wellmonitor
