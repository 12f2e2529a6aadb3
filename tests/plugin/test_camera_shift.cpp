// The camera-shift estimator of wellmonitor's watchdog (plugin/wellmonitor/camera-shift.h)
// on the committed replay frame (the real table, 480x300) with the plant's
// layout: the table moved by a known amount while every well's content
// changed is found to a fraction of a pixel; an unmoved table gives no shift;
// an unrelated picture gives a low confidence.

#include "camera-shift.h"

#include "wellmonitor/layout.h"

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cmath>
#include <random>
#include <string>
#include <vector>

namespace {

const std::string kFrame = std::string(WELLMONITOR_SOURCE_DIR) + "/tests/fixtures/replay-frame.jpg";
const std::string kLayout = std::string(WELLMONITOR_SOURCE_DIR) + "/pipelines/casting-table.wells.txt";

struct Table {
  cv::Mat frame;  // BGR
  std::vector<cv::Rect> wells;
};

Table load_table() {
  Table t;
  t.frame = cv::imread(kFrame, cv::IMREAD_COLOR);
  EXPECT_FALSE(t.frame.empty()) << kFrame;
  t.wells = wellmonitor::load_layout(kLayout).scaled(t.frame.cols, t.frame.rows);
  return t;
}

// The table moved by (dx, dy) (sub-pixel allowed), edges repeated.
cv::Mat moved(const cv::Mat& img, double dx, double dy) {
  cv::Mat out;
  const cv::Mat m = (cv::Mat_<double>(2, 3) << 1, 0, dx, 0, 1, dy);
  cv::warpAffine(img, out, m, img.size(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
  return out;
}

// Every well (where it is now, after the move) gets new content: noise of
// the well's own mean, as if other crops were in it, and one bright spill.
void change_wells(cv::Mat& img, const std::vector<cv::Rect>& wells, double dx, double dy, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> v(-40, 40);
  for (size_t i = 0; i < wells.size(); ++i) {
    const cv::Rect b = (wells[i] + cv::Point((int)std::lround(dx), (int)std::lround(dy))) & cv::Rect(0, 0, img.cols, img.rows);
    cv::Mat roi = img(b);
    const cv::Scalar mean = cv::mean(roi);
    for (int y = 0; y < roi.rows; ++y)
      for (int x = 0; x < roi.cols; ++x)
        for (int c = 0; c < 3; ++c) roi.at<cv::Vec3b>(y, x)[c] = cv::saturate_cast<uchar>(mean[c] + v(rng));
    if (i % 7 == 0) cv::circle(roi, {roi.cols / 2, roi.rows / 2}, roi.rows / 3, cv::Scalar(240, 240, 255), cv::FILLED);
  }
}

}  // namespace

TEST(CameraShift, FindsTheTablesMoveWhileEveryWellChanges) {
  const Table t = load_table();
  ASSERT_FALSE(t.frame.empty());
  wellmonitor::CameraShiftEstimator est(t.frame, t.frame.size(), t.wells);
  const std::vector<cv::Point2d> shifts = {{5, 0}, {-7, 3}, {2.5, -4.5}, {0, 9}, {-12, -6}};
  for (const auto& s : shifts) {
    cv::Mat f = moved(t.frame, s.x, s.y);
    change_wells(f, t.wells, s.x, s.y, 7);
    const wellmonitor::CameraShift r = est.estimate(f);
    EXPECT_NEAR(r.dx, s.x, 0.5) << "moved by " << s;
    EXPECT_NEAR(r.dy, s.y, 0.5) << "moved by " << s;
    EXPECT_GT(r.confidence, 0.15) << "moved by " << s;
  }
}

TEST(CameraShift, AnUnmovedTableWithNewWellContentsHasNoShift) {
  const Table t = load_table();
  ASSERT_FALSE(t.frame.empty());
  wellmonitor::CameraShiftEstimator est(t.frame, t.frame.size(), t.wells);
  cv::Mat f = t.frame.clone();
  change_wells(f, t.wells, 0, 0, 3);
  const wellmonitor::CameraShift r = est.estimate(f);
  EXPECT_LT(std::hypot(r.dx, r.dy), 0.5);
  EXPECT_GT(r.confidence, 0.3);
}

TEST(CameraShift, WorksOnAFullSizeGreyFrameAndReportsFramePixels) {
  const Table t = load_table();
  ASSERT_FALSE(t.frame.empty());
  // the replay's full size: the correlation runs at 640 across, the answer
  // comes back in the frame's own pixels
  cv::Mat big;
  cv::resize(t.frame, big, {1920, 1200}, 0, 0, cv::INTER_CUBIC);
  const auto wells = wellmonitor::load_layout(kLayout).scaled(1920, 1200);
  wellmonitor::CameraShiftEstimator est(big, big.size(), wells);
  EXPECT_EQ(est.work_size(), cv::Size(640, 400));
  cv::Mat f = moved(big, 20, -10);
  change_wells(f, wells, 20, -10, 11);
  cv::Mat grey;
  cv::cvtColor(f, grey, cv::COLOR_BGR2GRAY);
  const wellmonitor::CameraShift r = est.estimate(grey);
  EXPECT_NEAR(r.dx, 20, 1.0);
  EXPECT_NEAR(r.dy, -10, 1.0);
}

TEST(CameraShift, AnUnrelatedPictureHasALowConfidence) {
  const Table t = load_table();
  ASSERT_FALSE(t.frame.empty());
  wellmonitor::CameraShiftEstimator est(t.frame, t.frame.size(), t.wells);
  const double same = est.estimate(moved(t.frame, 3, 2)).confidence;
  cv::Mat noise(t.frame.size(), CV_8UC3);
  cv::randu(noise, 0, 255);
  cv::GaussianBlur(noise, noise, {0, 0}, 2.0);
  const double unrelated = est.estimate(noise).confidence;
  cv::Mat flipped;
  cv::flip(t.frame, flipped, -1);  // the table upside down: no shift explains it
  const double upside_down = est.estimate(flipped).confidence;
  EXPECT_LT(unrelated, 0.1);
  EXPECT_LT(upside_down, 0.1);
  EXPECT_GT(same, 3 * std::max(unrelated, upside_down));
}

TEST(CameraShift, BadInputsAreRefusedWithAReason) {
  const Table t = load_table();
  ASSERT_FALSE(t.frame.empty());
  EXPECT_THROW(wellmonitor::CameraShiftEstimator(cv::Mat(), t.frame.size(), t.wells), std::invalid_argument);
  wellmonitor::CameraShiftEstimator est(t.frame, t.frame.size(), t.wells);
  EXPECT_THROW(est.estimate(cv::Mat(10, 10, CV_8UC1)), std::invalid_argument);
  // wells everywhere: nothing static is left
  EXPECT_THROW(wellmonitor::CameraShiftEstimator(t.frame, t.frame.size(), {cv::Rect(0, 0, t.frame.cols, t.frame.rows)}),
               std::invalid_argument);
  try {
    wellmonitor::load_reference_frame("/nonexistent/reference.png");
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/reference.png"), std::string::npos) << e.what();
  }
}
