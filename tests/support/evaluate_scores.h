// Reads the CSV `wellmonitor-trainer evaluate --scores` writes
// (file,label,score,predicted), for the tests that compare its scores.
#pragma once

#include <fstream>
#include <map>
#include <sstream>
#include <string>

namespace wellmonitor_test {

struct EvaluatedCrop {
  int label = 0;
  double score = 0.0;
};

// File name -> label and score; the header line is skipped. An unreadable file
// gives an empty map (the callers assert on its size).
inline std::map<std::string, EvaluatedCrop> read_evaluate_scores(const std::string& path) {
  std::map<std::string, EvaluatedCrop> crops;
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::stringstream ss(line);
    std::string file, label, score;
    std::getline(ss, file, ',');
    std::getline(ss, label, ',');
    std::getline(ss, score, ',');
    crops[file] = {std::stoi(label), std::stod(score)};
  }
  return crops;
}

}  // namespace wellmonitor_test
