// codec_round_trip: crops through a real H.264 encoder and decoder, shown in a
// scene as a camera shows wells.
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include <algorithm>
#include <filesystem>
#include <numeric>
#include <stdexcept>

#include "wellmonitor/augment.h"

namespace wellmonitor {

namespace {

struct Cut {
  size_t crop;
  size_t well;
};

cv::Mat fit_to(const cv::Mat& crop, const cv::Size& box) {
  cv::Mat bgr = crop;
  if (crop.channels() == 1) cv::cvtColor(crop, bgr, cv::COLOR_GRAY2BGR);
  cv::Mat out;
  const bool shrink = box.width < bgr.cols || box.height < bgr.rows;
  cv::resize(bgr, out, box, 0, 0, shrink ? cv::INTER_AREA : cv::INTER_LINEAR);
  return out;
}

}  // namespace

std::vector<cv::Mat> codec_round_trip(const std::vector<cv::Mat>& crops, const CodecScene& scene, Rng& rng,
                                      const std::string& scratch_path) {
  if (crops.empty()) return {};
  if (scene.background.empty() || scene.background.type() != CV_8UC3)
    throw std::invalid_argument("codec_round_trip: the scene needs a BGR background");
  if (scene.boxes.empty()) throw std::invalid_argument("codec_round_trip: the scene has no boxes");
  const cv::Rect frame_rect({0, 0}, scene.background.size());
  for (const auto& b : scene.boxes)
    if (b.width < 2 || b.height < 2 || (b & frame_rect) != b)
      throw std::invalid_argument("codec_round_trip: a box lies outside the background");
  if (scene.min_hold < 1 || scene.max_hold < scene.min_hold)
    throw std::invalid_argument("codec_round_trip: hold frames must satisfy 1 <= min <= max");
  if (scene.min_run < 1 || scene.max_run < scene.min_run)
    throw std::invalid_argument("codec_round_trip: runs must satisfy 1 <= min <= max");
  if (!(scene.gain_jitter >= 0.0 && scene.gain_jitter < 0.5))
    throw std::invalid_argument("codec_round_trip: gain jitter must be in [0, 0.5)");

  // The schedule: crops in random order, each well showing one crop after
  // another, each for min_hold..max_hold frames, the wells out of step.
  std::vector<size_t> order(crops.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::shuffle(order.begin(), order.end(), rng);
  std::uniform_int_distribution<int> hold(scene.min_hold, scene.max_hold);
  const size_t n_wells = scene.boxes.size();
  std::vector<int> left(n_wells, 0);
  std::vector<long> shown(n_wells, -1);  // crop index shown, -1: background
  std::vector<int> runs_left(n_wells, 0);  // more showings of the crop shown
  std::uniform_int_distribution<int> run(scene.min_run, scene.max_run);
  std::uniform_real_distribution<double> gain(1.0 - scene.gain_jitter, 1.0 + scene.gain_jitter);
  for (size_t w = 0; w < n_wells; ++w) left[w] = std::uniform_int_distribution<int>(0, scene.max_hold - 1)(rng);
  std::vector<std::vector<Cut>> cuts;  // per frame: crops cut back out of it
  size_t next = 0;

  const std::string path = scratch_path + ".mp4";
  cv::VideoWriter writer;
  if (!writer.open(path, cv::CAP_FFMPEG, cv::VideoWriter::fourcc('a', 'v', 'c', '1'), scene.fps,
                   scene.background.size(), true))
    throw std::runtime_error("codec_round_trip: no H.264 writer (OpenCV's FFmpeg backend) for '" + path + "'");
  cv::Mat frame;
  std::vector<cv::Mat> pasted(n_wells);
  for (long f = 0;; ++f) {
    bool any = false;
    if (cuts.size() <= static_cast<size_t>(f)) cuts.resize(static_cast<size_t>(f) + 1);
    for (size_t w = 0; w < n_wells; ++w) {
      if (left[w] == 0) {
        const bool again = runs_left[w] > 0;
        if (again || next < order.size()) {
          size_t c;
          if (again) {
            c = static_cast<size_t>(shown[w]);
            --runs_left[w];
          } else {
            c = order[next++];
            shown[w] = static_cast<long>(c);
            runs_left[w] = run(rng) - 1;
          }
          const int h = hold(rng);
          left[w] = h;
          pasted[w] = fit_to(crops[c], scene.boxes[w].size());
          if (scene.gain_jitter > 0) pasted[w].convertTo(pasted[w], -1, gain(rng), 0.0);
          // Cut it from one of the frames of its last showing.
          if (runs_left[w] == 0) {
            const long at = f + std::uniform_int_distribution<int>(0, h - 1)(rng);
            if (cuts.size() <= static_cast<size_t>(at)) cuts.resize(static_cast<size_t>(at) + 1);
            cuts[static_cast<size_t>(at)].push_back({c, w});
          }
        } else {
          shown[w] = -1;
          left[w] = -1;  // this well is done
        }
      }
      if (left[w] > 0) {
        --left[w];
        any = true;
      }
    }
    if (!any) break;  // every crop shown for its whole hold
    scene.background.copyTo(frame);
    for (size_t w = 0; w < n_wells; ++w)
      if (shown[w] >= 0) pasted[w].copyTo(frame(scene.boxes[w]));
    writer.write(frame);
  }
  writer.release();

  std::vector<cv::Mat> out(crops.size());
  cv::VideoCapture cap(path, cv::CAP_FFMPEG);
  if (!cap.isOpened()) {
    std::filesystem::remove(path);
    throw std::runtime_error("codec_round_trip: cannot decode '" + path + "'");
  }
  for (size_t f = 0; f < cuts.size() && cap.read(frame); ++f)
    for (const auto& cut : cuts[f]) {
      cv::Mat m = frame(scene.boxes[cut.well]).clone();
      if (crops[cut.crop].channels() == 1) cv::cvtColor(m, m, cv::COLOR_BGR2GRAY);
      out[cut.crop] = m;
    }
  cap.release();
  std::filesystem::remove(path);
  for (const auto& m : out)
    if (m.empty()) throw std::runtime_error("codec_round_trip: the decoded video is shorter than the one written");
  return out;
}

}  // namespace wellmonitor
