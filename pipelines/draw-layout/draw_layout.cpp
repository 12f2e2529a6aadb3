// wellmonitor-draw-layout: draw a well layout (boxes and ids) on a frame, write a PNG.
//
//   wellmonitor-draw-layout --layout pipelines/casting-table.wells.txt
//       --frame frames/casting_table_1920x1200.png --out casting-table.wells.png --width 960
//
// The layout is scaled to the output size the same way the element scales it
// (WellLayout::scaled), so the picture shows the boxes the element will crop.
#include "wellmonitor/layout.h"

#include <CLI/CLI.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <string>

namespace {

struct Options {
  std::string layout;
  std::string frame;
  std::string out;
  int width = 0;   // 0: the frame's own size
  int crop_x = 0, crop_y = 0, crop_w = 0, crop_h = 0;  // optional region of the result, for zooming
  bool no_labels = false;
};

void draw(cv::Mat& img, const wellmonitor::WellLayout& layout, bool labels) {
  const auto boxes = layout.scaled(img.cols, img.rows);
  // Thin boxes at small sizes, so the box does not hide the well it frames.
  const int thick = img.cols >= 1600 ? 2 : 1;
  const double font = std::clamp(img.cols / 3000.0, 0.3, 0.6);
  for (size_t i = 0; i < boxes.size(); ++i) {
    const cv::Rect& r = boxes[i];
    cv::rectangle(img, r, cv::Scalar(0, 255, 255), thick, cv::LINE_AA);
    if (!labels) continue;
    const std::string& id = layout.wells[i].id;
    int base = 0;
    const cv::Size ts = cv::getTextSize(id, cv::FONT_HERSHEY_SIMPLEX, font, 1, &base);
    // Label centred above the box, outlined rather than on a patch so it hides little.
    cv::Point org(r.x + (r.width - ts.width) / 2, r.y - 3);
    if (org.y - ts.height < 0) org.y = r.y + r.height + ts.height + 2;
    org.x = std::clamp(org.x, 0, std::max(0, img.cols - ts.width));
    cv::putText(img, id, org, cv::FONT_HERSHEY_SIMPLEX, font, cv::Scalar(0, 0, 0), 3, cv::LINE_AA);
    cv::putText(img, id, org, cv::FONT_HERSHEY_SIMPLEX, font, cv::Scalar(0, 255, 255), 1,
                cv::LINE_AA);
  }
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  CLI::App app{
      "Draw a well layout on a frame and write a PNG.\n"
      "The boxes are scaled to the output size exactly as the wellmonitor element scales them."};
  app.add_option("-l,--layout", opt.layout, "Well layout file (reference/well statements)")
      ->required();
  app.add_option("-f,--frame", opt.frame, "Frame to draw on (any image OpenCV reads)")->required();
  app.add_option("-o,--out", opt.out, "Output PNG")->required();
  app.add_option("-w,--width", opt.width,
                 "Resize the frame to this width first (keeps the aspect ratio; 0 = as is)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--crop-x", opt.crop_x, "Write only this region of the result (x, after resizing)");
  app.add_option("--crop-y", opt.crop_y, "Region's y");
  app.add_option("--crop-width", opt.crop_w, "Region's width (0 = whole image)");
  app.add_option("--crop-height", opt.crop_h, "Region's height (0 = whole image)");
  app.add_flag("--no-labels", opt.no_labels, "Draw the boxes only");
  CLI11_PARSE(app, argc, argv);

  try {
    const auto layout = wellmonitor::load_layout(opt.layout);
    cv::Mat img = cv::imread(opt.frame, cv::IMREAD_COLOR);
    if (img.empty()) {
      std::fprintf(stderr, "error: cannot read frame '%s'\n", opt.frame.c_str());
      return 1;
    }
    if (opt.width > 0 && opt.width != img.cols) {
      const int h = static_cast<int>(img.rows * static_cast<double>(opt.width) / img.cols + 0.5);
      cv::resize(img, img, cv::Size(opt.width, h), 0, 0, cv::INTER_AREA);
    }
    draw(img, layout, !opt.no_labels);
    if (opt.crop_w > 0 && opt.crop_h > 0) {
      const cv::Rect roi = cv::Rect(opt.crop_x, opt.crop_y, opt.crop_w, opt.crop_h) &
                           cv::Rect(0, 0, img.cols, img.rows);
      if (roi.empty()) {
        std::fprintf(stderr, "error: the crop region lies outside the %dx%d image\n", img.cols,
                     img.rows);
        return 1;
      }
      img = img(roi).clone();
    }
    if (!cv::imwrite(opt.out, img, {cv::IMWRITE_PNG_COMPRESSION, 9})) {
      std::fprintf(stderr, "error: cannot write '%s'\n", opt.out.c_str());
      return 1;
    }
    std::printf("%s: %zu wells drawn on %dx%d\n", opt.out.c_str(), layout.wells.size(), img.cols,
                img.rows);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
