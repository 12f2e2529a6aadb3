// wellmonitor-trainer layout: proposes the wells of a camera's frame, for a
// person to check and edit.
//
// The wells are cups in rows. A cup template (the mean of the plant's normal
// crops, trainer/assets/cup-template.inc, or --template) is matched over the
// frame at many scales (normalised cross-correlation); the scale whose best
// matches agree most is the camera's. Matches at that scale, one per cup
// (non-maximum suppression), are grouped into rows by height; each row then
// takes the scale that fits its own cups best (a row nearer the camera looks
// larger). Rows of fewer than --min-per-row cups are dropped. The wells are
// named r<row>w<column>, rows from the top of the picture, columns from the left.
#include "common.h"
#include "wellmonitor/layout.h"

#include <CLI/CLI.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;

namespace wellmonitor {

namespace {

#include "assets/cup-template.inc"

struct Match {
  cv::Rect box;
  double ncc = 0;
};

// Local maxima of `r` over `floor`, strongest first, none closer than
// (dx, dy) to a stronger one.
std::vector<Match> peaks(const cv::Mat& r, cv::Size templ, double floor, int dx, int dy) {
  std::vector<std::pair<float, cv::Point>> cand;
  for (int y = 0; y < r.rows; ++y) {
    const float* row = r.ptr<float>(y);
    for (int x = 0; x < r.cols; ++x)
      if (row[x] >= floor) cand.push_back({row[x], {x, y}});
  }
  std::sort(cand.begin(), cand.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<Match> out;
  for (const auto& [v, p] : cand) {
    bool near = false;
    for (const Match& m : out)
      if (std::abs(m.box.x - p.x) < dx && std::abs(m.box.y - p.y) < dy) {
        near = true;
        break;
      }
    if (!near) out.push_back({cv::Rect(p, templ), v});
    if (out.size() > 4 * kMaxWells) break;
  }
  return out;
}

cv::Mat scaled_template(const cv::Mat& t, double s) {
  cv::Mat out;
  const int w = std::max(8, static_cast<int>(std::lround(t.cols * s)));
  const int h = std::max(6, static_cast<int>(std::lround(t.rows * s)));
  cv::resize(t, out, cv::Size(w, h), 0, 0, s < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
  return out;
}

double mean_top(const std::vector<Match>& m, size_t n) {
  double s = 0;
  n = std::min(n, m.size());
  for (size_t i = 0; i < n; ++i) s += m[i].ncc;
  return n ? s / static_cast<double>(n) : 0.0;
}

}  // namespace

std::vector<std::vector<Match>> propose_rows(const cv::Mat& grey, const cv::Mat& templ, const LayoutCommand& c,
                                             double* scale_out) {
  // 1. The camera's scale: where the strongest matches agree most.
  double best_scale = 0, best_quality = -1;
  for (double s = c.min_scale; s <= c.max_scale * 1.0001; s *= 1.05) {
    const cv::Mat t = scaled_template(templ, s);
    if (t.cols >= grey.cols || t.rows >= grey.rows) break;
    cv::Mat r;
    cv::matchTemplate(grey, t, r, cv::TM_CCOEFF_NORMED);
    const auto m = peaks(r, t.size(), 0.3f, t.cols * 3 / 4, t.rows * 3 / 4);
    const double q = mean_top(m, 12);
    if (q > best_quality) best_quality = q, best_scale = s;
  }
  if (best_quality < 0) throw std::runtime_error(c.image + ": smaller than the cup template");
  *scale_out = best_scale;

  // 2. Seeds: the strongest matches at that scale, one per cup.
  const cv::Mat t = scaled_template(templ, best_scale);
  cv::Mat r;
  cv::matchTemplate(grey, t, r, cv::TM_CCOEFF_NORMED);
  const double top = mean_top(peaks(r, t.size(), 0.3f, t.cols * 3 / 4, t.rows * 3 / 4), 12);
  const double floor = std::max(c.min_match, c.relative_match * top);
  std::vector<Match> seeds =
      peaks(r, t.size(), static_cast<float>(std::max(floor, c.seed_match * top)), t.cols * 3 / 4, t.rows * 3 / 4);

  // 3. Rows of seeds by height; the pitch of the cups along a row.
  std::sort(seeds.begin(), seeds.end(), [](const Match& a, const Match& b) { return a.box.y < b.box.y; });
  std::vector<std::vector<Match>> seed_rows;
  for (const Match& m : seeds) {
    if (seed_rows.empty() || m.box.y - seed_rows.back().back().box.y > t.rows / 2) seed_rows.emplace_back();
    seed_rows.back().push_back(m);
  }
  std::vector<int> gaps;
  for (auto& row : seed_rows) {
    std::sort(row.begin(), row.end(), [](const Match& a, const Match& b) { return a.box.x < b.box.x; });
    for (size_t i = 1; i < row.size(); ++i) gaps.push_back(row[i].box.x - row[i - 1].box.x);
  }
  if (gaps.empty()) return {};
  std::sort(gaps.begin(), gaps.end());
  const int pitch = gaps[gaps.size() / 4];  // neighbours, not cups two apart
  // Each row completed along its pitch: from every seed outwards, the best
  // match near the next position while it stays over the floor.
  const auto best_near = [&](cv::Point at, int rx, int ry, Match* out) {
    const cv::Rect win = cv::Rect(at.x - rx, at.y - ry, 2 * rx + 1, 2 * ry + 1) & cv::Rect(0, 0, r.cols, r.rows);
    if (win.empty()) return false;
    double v = 0;
    cv::Point p;
    cv::minMaxLoc(r(win), nullptr, &v, nullptr, &p);
    *out = {cv::Rect(win.tl() + p, t.size()), v};
    return v >= floor;
  };
  std::vector<std::vector<Match>> rows;
  for (const auto& seed_row : seed_rows) {
    std::vector<Match> row = seed_row;
    for (int dir : {-1, 1}) {
      Match cur = dir < 0 ? row.front() : row.back(), next;
      while (best_near(cur.box.tl() + cv::Point(dir * pitch, 0), pitch / 5, t.rows / 3, &next) &&
             std::abs(next.box.x - cur.box.x) > pitch / 2)
        row.push_back(next), cur = next;
      std::sort(row.begin(), row.end(), [](const Match& a, const Match& b) { return a.box.x < b.box.x; });
    }
    // gaps between seeds
    for (size_t i = 1; i < row.size(); ++i) {
      const int dx = row[i].box.x - row[i - 1].box.x;
      Match m;
      if (dx > pitch * 3 / 2 && best_near(row[i - 1].box.tl() + cv::Point(pitch, 0), pitch / 5, t.rows / 3, &m)) {
        row.insert(row.begin() + static_cast<long>(i), m);
        --i;  // look again from the new cup
      }
    }
    if (static_cast<int>(row.size()) >= c.min_per_row) rows.push_back(row);
  }
  // Two rows on one height (seeds split by a slope): the one with more cups.
  std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
  std::vector<std::vector<Match>> kept;
  const auto mean_y = [](const std::vector<Match>& row) {
    double y = 0;
    for (const Match& m : row) y += m.box.y;
    return y / static_cast<double>(row.size());
  };
  for (const auto& row : rows) {
    bool clash = false;
    for (const auto& k : kept) clash = clash || std::abs(mean_y(k) - mean_y(row)) < t.rows;
    if (!clash) kept.push_back(row);
  }
  std::sort(kept.begin(), kept.end(), [&](const auto& a, const auto& b) { return mean_y(a) < mean_y(b); });
  rows = kept;

  // 3b. A casting table's cups come in pairs: a feeding cup over the rail, the
  // well under it. The feeding cups (an open rim) match best; each well is the
  // best match in the band under its feeding cup.
  if (c.feeding_cups) {
    for (auto& row : rows) {
      // one offset for the whole row: where its cups' wells match best on average
      int best_dy = 0;
      double best_mean = -2;
      const int rx = std::max(2, pitch / 8);
      for (int dy = t.rows * 11 / 10; dy <= t.rows * 22 / 10; ++dy) {
        double sum = 0;
        for (const Match& f : row) {
          const cv::Rect win = cv::Rect(f.box.x - rx, f.box.y + dy, 2 * rx + 1, 1) & cv::Rect(0, 0, r.cols, r.rows);
          double v = -1;
          if (!win.empty()) cv::minMaxLoc(r(win), nullptr, &v);
          sum += v;
        }
        if (sum / static_cast<double>(row.size()) > best_mean) best_mean = sum / static_cast<double>(row.size()), best_dy = dy;
      }
      std::vector<Match> wells;
      for (const Match& f : row) {
        Match w;
        best_near(f.box.tl() + cv::Point(0, best_dy), rx, 3, &w);
        wells.push_back(w);
      }
      row = wells;
    }
  }

  // Regular rows only: most neighbours one pitch apart.
  rows.erase(std::remove_if(rows.begin(), rows.end(),
                            [&](const std::vector<Match>& row) {
                              int regular = 0;
                              for (size_t i = 1; i < row.size(); ++i) {
                                const int dx = row[i].box.x - row[i - 1].box.x;
                                regular += dx >= pitch * 4 / 5 && dx <= pitch * 5 / 4;
                              }
                              return static_cast<int>(row.size()) < c.min_per_row ||
                                     regular * 4 < 3 * static_cast<int>(row.size() - 1);
                            }),
             rows.end());

  // 4. Each row at its own scale: the one its cups match best, near the camera's.
  for (auto& row : rows) {
    int y0 = grey.rows, y1 = 0;
    for (const Match& m : row) y0 = std::min(y0, m.box.y), y1 = std::max(y1, m.box.br().y);
    double row_best = -1;
    std::vector<Match> refined;
    for (double s = best_scale * 0.85; s <= best_scale * 1.18; s *= 1.02) {
      const cv::Mat ts = scaled_template(templ, s);
      const int top_y = std::max(0, y0 - ts.rows), bottom = std::min(grey.rows, y1 + ts.rows);
      if (bottom - top_y <= ts.rows) continue;
      cv::Mat rs;
      cv::matchTemplate(grey.rowRange(top_y, bottom), ts, rs, cv::TM_CCOEFF_NORMED);
      std::vector<Match> at;
      double sum = 0;
      for (const Match& m : row) {
        // the best position within a few pixels of the first match's centre
        const cv::Point centre(m.box.x + m.box.width / 2 - ts.cols / 2, m.box.y + m.box.height / 2 - ts.rows / 2 - top_y);
        const int reach = 4;
        const cv::Rect win = cv::Rect(centre.x - reach, centre.y - reach, 2 * reach + 1, 2 * reach + 1) &
                             cv::Rect(0, 0, rs.cols, rs.rows);
        if (win.empty()) continue;
        double v = 0;
        cv::Point p;
        cv::minMaxLoc(rs(win), nullptr, &v, nullptr, &p);
        at.push_back({cv::Rect(win.x + p.x, win.y + p.y + top_y, ts.cols, ts.rows), v});
        sum += v;
      }
      if (at.size() == row.size() && sum / static_cast<double>(at.size()) > row_best)
        row_best = sum / static_cast<double>(at.size()), refined = at;
    }
    if (!refined.empty()) row = refined;
    std::sort(row.begin(), row.end(), [](const Match& a, const Match& b) { return a.box.x < b.box.x; });
  }
  return rows;
}

CLI::App* add_layout_command(CLI::App& app, LayoutCommand& c) {
  auto* x = app.add_subcommand(
      "layout",
      "Propose the wells of a camera's frame: finds the cups (regular cups in rows) by matching a cup template at "
      "many scales, writes a layout file (r<row>w<column>, rows from the top, columns from the left) and a picture "
      "of its boxes on the frame, for a person to check and edit.");
  x->add_option("--image", c.image, "A frame of the camera (png/jpg)")->required()->check(CLI::ExistingFile);
  x->add_option("--out", c.out, "Layout file to write (default: print it)");
  x->add_option("--picture", c.picture, "Also draw the proposed wells on the frame into this PNG");
  x->add_option("--template", c.templ,
                "A crop of one cup (png/jpg) to look for instead of the built-in one (the mean of the plant's "
                "normal crops)")
      ->check(CLI::ExistingFile);
  x->add_option("--min-per-row", c.min_per_row, "Rows with fewer cups are dropped")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  x->add_option("--min-scale", c.min_scale, "Smallest cup size tried, relative to the template")
      ->check(CLI::Range(0.1, 10.0))
      ->capture_default_str();
  x->add_option("--max-scale", c.max_scale, "Largest cup size tried, relative to the template")
      ->check(CLI::Range(0.1, 10.0))
      ->capture_default_str();
  x->add_option("--min-match", c.min_match, "Lowest normalised cross-correlation a cup may have")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  x->add_option("--relative-match", c.relative_match,
                "Lowest correlation a cup may have, as a share of the mean of the best 12")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  x->add_option("--seed-match", c.seed_match,
                "Matches that start a row: at least this share of the mean of the best 12")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  x->add_flag("--feeding-cups,!--no-feeding-cups", c.feeding_cups,
              "The cups come in pairs, a feeding cup over the rail and the well under it (the plant's casting "
              "table): the rows found are the feeding cups and each well is the best match under its feeding cup "
              "(default); --no-feeding-cups takes the rows found as the wells")
      ->capture_default_str();
  return x;
}

int run_layout(const LayoutCommand& c) {
  return guarded([&]() -> int {
    if (c.min_scale > c.max_scale) throw std::runtime_error("--min-scale is above --max-scale");
    const cv::Mat frame = cv::imread(c.image, cv::IMREAD_COLOR);
    if (frame.empty()) throw std::runtime_error(c.image + ": not an image OpenCV can read");
    cv::Mat templ;
    if (!c.templ.empty()) {
      templ = cv::imread(c.templ, cv::IMREAD_GRAYSCALE);
      if (templ.empty()) throw std::runtime_error(c.templ + ": not an image OpenCV can read");
    } else {
      templ = cv::Mat(kCupTemplateHeight, kCupTemplateWidth, CV_8UC1, const_cast<unsigned char*>(kCupTemplate)).clone();
    }
    cv::Mat grey;
    cv::cvtColor(frame, grey, cv::COLOR_BGR2GRAY);
    // Large frames are searched at half size (less noise, four times faster).
    const int shrink = frame.cols > 1200 ? 2 : 1;
    if (shrink > 1) cv::resize(grey, grey, cv::Size(), 1.0 / shrink, 1.0 / shrink, cv::INTER_AREA);
    double scale = 0;
    auto rows = propose_rows(grey, templ, c, &scale);
    for (auto& row : rows)
      for (Match& m : row)
        m.box = cv::Rect(m.box.x * shrink, m.box.y * shrink, m.box.width * shrink, m.box.height * shrink) &
                cv::Rect(0, 0, frame.cols, frame.rows);
    scale *= shrink;
    if (rows.empty()) throw std::runtime_error(c.image + ": no row of at least " + std::to_string(c.min_per_row) + " cups found");

    WellLayout layout;
    layout.ref_width = frame.cols;
    layout.ref_height = frame.rows;
    std::string text = fmt::format(
        "# Wells proposed by wellmonitor-trainer layout on {} ({}x{}): {} rows, cup template at scale {:.2f}.\n"
        "# Rows from the top of the picture, columns from the left. Check every box on the picture and edit.\n"
        "reference {} {}\n",
        fs::path(c.image).filename().string(), frame.cols, frame.rows, rows.size(), scale, frame.cols, frame.rows);
    size_t n = 0;
    for (size_t r = 0; r < rows.size(); ++r) {
      text += fmt::format("\n# row {}: {} cups\n", r + 1, rows[r].size());
      for (size_t w = 0; w < rows[r].size(); ++w) {
        const cv::Rect& b = rows[r][w].box;
        text += fmt::format("well r{}w{} {} {} {} {}   # match {:.2f}\n", r + 1, w + 1, b.x, b.y, b.width, b.height,
                            rows[r][w].ncc);
        ++n;
      }
    }
    if (n > kMaxWells) throw std::runtime_error(fmt::format("{}: {} cups found, more than a layout may hold", c.image, n));
    parse_layout(text, c.out.empty() ? "proposed layout" : c.out);  // what it writes, it reads back
    if (c.out.empty()) {
      fmt::print("{}", text);
    } else {
      std::ofstream f(c.out);
      f << text;
      if (!f.flush()) throw std::runtime_error(c.out + ": cannot write");
    }
    if (!c.picture.empty()) {
      cv::Mat pic = frame.clone();
      const double font = std::max(0.3, 0.4 * scale);
      for (size_t r = 0; r < rows.size(); ++r)
        for (size_t w = 0; w < rows[r].size(); ++w) {
          const cv::Rect& b = rows[r][w].box;
          cv::rectangle(pic, b, cv::Scalar(0, 255, 255), 1);
          cv::putText(pic, fmt::format("r{}w{}", r + 1, w + 1), b.tl() + cv::Point(0, -3), cv::FONT_HERSHEY_SIMPLEX,
                      font, cv::Scalar(0, 255, 255), 1, cv::LINE_AA);
        }
      if (!cv::imwrite(c.picture, pic)) throw std::runtime_error(c.picture + ": cannot write");
    }
    std::string per_row;
    for (const auto& row : rows) per_row += (per_row.empty() ? "" : " + ") + std::to_string(row.size());
    fmt::print(stderr, "layout: {} wells in {} rows ({}) on {}{}{}\n", n, rows.size(), per_row, c.image,
               c.out.empty() ? "" : "; layout " + c.out, c.picture.empty() ? "" : "; picture " + c.picture);
    return 0;
  });
}

}  // namespace wellmonitor
