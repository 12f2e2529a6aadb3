// wellmonitor-trainer layout: proposes the wells of a camera's frame, for a
// person to check and edit.
//
// The wells are cups in rows. A cup template (the mean of the plant's normal
// crops, trainer/assets/cup-template.inc, or --template) is matched over the
// frame (half of it when large) at many scales (normalised cross-correlation);
// the scale whose best matches agree most is the camera's. The strongest
// matches are grouped into bands by height, and each band is fitted as a
// regular row: a column index per match, a robust line fit of the positions on
// the index (pitch and tilt, outliers dropped), gaps filled and ends extended
// along the line while the template still matches. With --feeding-cups (the
// plant's table) the rows found are the feeding cups and the wells are the
// matches under them. The wells are then placed on the full frame by each row's
// own look (place_wells). Rows and columns come from the image alone. The wells
// are named r<row>w<column>, rows from the top of the picture, columns from the
// left.
#include "common.h"
#include "wellmonitor/layout.h"

#include <CLI/CLI.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>

namespace fs = std::filesystem;

namespace wellmonitor {

namespace {

// Cups narrower than this (frame pixels) are too few pixels to tell a cup from
// the table: rows found there are noise, so the frame is refused instead.
constexpr int kMinCupWidth = 18;

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

// The best match of `r` within (rx, ry) of `at` (a top-left corner of `r`).
bool best_near(const cv::Mat& r, cv::Point at, int rx, int ry, cv::Size templ, Match* out) {
  const cv::Rect win = cv::Rect(at.x - rx, at.y - ry, 2 * rx + 1, 2 * ry + 1) & cv::Rect(0, 0, r.cols, r.rows);
  if (win.empty()) return false;
  double v = 0;
  cv::Point p;
  cv::minMaxLoc(r(win), nullptr, &v, nullptr, &p);
  *out = {cv::Rect(win.tl() + p, templ), v};
  return true;
}

// A row of cups: its cups by column index k, placed on the line
// x = x0 + pitch k, y = y0 + slope k (top-left corners).
struct GridRow {
  std::map<int, Match> cups;
  double x0 = 0, pitch = 0, y0 = 0, slope = 0;
  cv::Point at(int k) const {
    return {static_cast<int>(std::lround(x0 + pitch * k)), static_cast<int>(std::lround(y0 + slope * k))};
  }
  double mean_y() const { return y0 + slope * (cups.begin()->first + cups.rbegin()->first) / 2.0; }
};

// Least squares of x and y on the column index; false when it cannot be fitted.
bool fit_line(GridRow& g) {
  if (g.cups.size() < 2) return false;
  double n = 0, sk = 0, skk = 0, sx = 0, skx = 0, sy = 0, sky = 0;
  for (const auto& [k, m] : g.cups) {
    n += 1, sk += k, skk += double(k) * k, sx += m.box.x, skx += double(k) * m.box.x, sy += m.box.y,
        sky += double(k) * m.box.y;
  }
  const double det = n * skk - sk * sk;
  if (det <= 0) return false;
  g.pitch = (n * skx - sk * sx) / det, g.x0 = (sx - g.pitch * sk) / n;
  g.slope = (n * sky - sk * sy) / det, g.y0 = (sy - g.slope * sk) / n;
  return g.pitch > 0;
}

// Matches of one height band as a regular row: the column index of each from
// the strongest, a robust line fit of the corners over the index (outliers
// dropped), then the row completed along the line: gaps filled and both ends
// extended while the template still matches near the position the line gives.
std::optional<GridRow> grid_row(std::vector<Match> band, const cv::Mat& r, cv::Size t, double pitch, double weak,
                                int min_per_row) {
  std::sort(band.begin(), band.end(), [](const Match& a, const Match& b) { return a.ncc > b.ncc; });
  GridRow g;
  g.x0 = band.front().box.x, g.y0 = band.front().box.y, g.pitch = pitch;
  for (int pass = 0; pass < 4; ++pass) {
    GridRow next = g;
    next.cups.clear();
    for (const Match& m : band) {
      const double kf = (m.box.x - g.x0) / g.pitch;
      const int k = static_cast<int>(std::lround(kf));
      const cv::Point p = g.at(k);
      if (pass > 0 && (std::abs(m.box.x - p.x) > g.pitch / 5 || std::abs(m.box.y - p.y) > t.height / 3)) continue;
      if (pass == 0 && std::abs(kf - k) > 0.25) continue;
      if (!next.cups.count(k)) next.cups[k] = m;  // the strongest of a column
    }
    if (!fit_line(next)) return std::nullopt;
    if (next.pitch < 0.7 * pitch || next.pitch > 1.4 * pitch) return std::nullopt;
    g = next;
  }
  if (static_cast<int>(g.cups.size()) < min_per_row) return std::nullopt;
  const int rx = std::max(2, static_cast<int>(g.pitch / 6)), ry = std::max(2, t.height / 3);
  const int k0 = g.cups.begin()->first, k1 = g.cups.rbegin()->first;
  GridRow full = g;
  full.cups.clear();
  for (int k = k0; k <= k1; ++k) {  // the gaps: the best match near the line
    Match m;
    if (best_near(r, g.at(k), rx, ry, t, &m) && m.ncc >= weak) full.cups[k] = m;
  }
  for (int dir : {-1, 1})  // the ends, while the template still matches
    for (int k = dir < 0 ? k0 - 1 : k1 + 1;; k += dir) {
      Match m;
      const cv::Point p = g.at(k);
      if (p.x < -t.width / 4 || p.x > r.cols + t.width / 4) break;
      if (!best_near(r, p, rx, ry, t, &m) || m.ncc < weak) break;
      full.cups[k] = m;
    }
  if (!fit_line(full) || static_cast<int>(full.cups.size()) < min_per_row) return std::nullopt;
  return full;
}

// Step 1: the rows of cups at the camera's scale, found on `grey` (the frame,
// or half of it). Boxes are the template's at that scale.
std::vector<GridRow> propose_rows(const cv::Mat& grey, const cv::Mat& templ, const LayoutCommand& c, double* scale_out) {
  // The camera's scale: where the strongest matches agree most.
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

  // Seeds: the strongest matches at that scale, one per cup.
  const cv::Mat t = scaled_template(templ, best_scale);
  cv::Mat r;
  cv::matchTemplate(grey, t, r, cv::TM_CCOEFF_NORMED);
  const double top = mean_top(peaks(r, t.size(), 0.3f, t.cols * 3 / 4, t.rows * 3 / 4), 12);
  const double floor = std::max(c.min_match, c.relative_match * top);
  std::vector<Match> cand =
      peaks(r, t.size(), static_cast<float>(std::max(floor, c.seed_match * top)), t.cols * 3 / 4, t.rows * 3 / 4);

  // Bands of candidates by height.
  std::sort(cand.begin(), cand.end(), [](const Match& a, const Match& b) { return a.box.y < b.box.y; });
  std::vector<std::vector<Match>> bands;
  for (const Match& m : cand) {
    if (bands.empty() || m.box.y - bands.back().back().box.y > t.rows / 2) bands.emplace_back();
    bands.back().push_back(m);
  }
  // The pitch of the cups along a row: the common gap between neighbours.
  std::vector<int> gaps;
  for (auto& band : bands) {
    std::sort(band.begin(), band.end(), [](const Match& a, const Match& b) { return a.box.x < b.box.x; });
    for (size_t i = 1; i < band.size(); ++i)
      if (band[i].box.x - band[i - 1].box.x >= t.cols) gaps.push_back(band[i].box.x - band[i - 1].box.x);
  }
  if (gaps.empty()) return {};
  std::sort(gaps.begin(), gaps.end());
  const double p0 = gaps[gaps.size() / 4];  // neighbours, not cups two apart
  std::vector<int> near_p0;
  for (int g : gaps)
    if (g >= 0.8 * p0 && g <= 1.25 * p0) near_p0.push_back(g);
  const double pitch = near_p0[near_p0.size() / 2];

  // Each band as a regular row.
  std::vector<GridRow> rows;
  for (const auto& band : bands)
    if (auto g = grid_row(band, r, t.size(), pitch, floor, c.min_per_row)) rows.push_back(*g);

  // Two rows on one height: the one with more cups.
  std::sort(rows.begin(), rows.end(), [](const GridRow& a, const GridRow& b) { return a.cups.size() > b.cups.size(); });
  std::vector<GridRow> kept;
  for (const auto& row : rows) {
    bool clash = false;
    for (const auto& k : kept) clash = clash || std::abs(k.mean_y() - row.mean_y()) < t.rows;
    if (!clash) kept.push_back(row);
  }
  // A casting table's cups come in pairs: a feeding cup over the rail, the well
  // under it. The feeding cups (an open rim) match best; the wells of a row are
  // the best matches in the band under its feeding cups, one height for the row
  // (where they match best on average).
  if (c.feeding_cups)
    for (GridRow& g : kept) {
      const int rx = std::max(2, static_cast<int>(g.pitch / 8));
      int best_dy = 0;
      double best_mean = -2;
      for (int dy = t.rows * 11 / 10; dy <= t.rows * 22 / 10; ++dy) {
        double sum = 0;
        for (const auto& [k, f] : g.cups) {
          Match w;
          sum += best_near(r, f.box.tl() + cv::Point(0, dy), rx, 0, t.size(), &w) ? w.ncc : -1;
        }
        if (sum / static_cast<double>(g.cups.size()) > best_mean) best_mean = sum / static_cast<double>(g.cups.size()), best_dy = dy;
      }
      GridRow wells = g;
      for (auto& [k, f] : wells.cups) best_near(r, f.box.tl() + cv::Point(0, best_dy), rx, 2, t.size(), &f);
      fit_line(wells);
      g = wells;
    }
  std::sort(kept.begin(), kept.end(), [](const GridRow& a, const GridRow& b) { return a.mean_y() < b.mean_y(); });
  return kept;
}

// Each cup is placed by the part of its patch from this share (percent) of the
// cup's height under the top of the template's box down: the bowl and what is
// under it, not the rail over it (on the plant's frame the rails' edge and the
// cups are not quite parallel: the edge drops a few px more along a row).
constexpr int kBowlFrom = 15;

// Step 2: the wells of each row placed on the full frame by the row's own
// look. The mean of the row's cups is the row's template; every cup is moved to
// where its bowl matches that mean best, and the mean taken again (three
// times). The row is extended at both ends while the next cup along it looks
// like the row: its correlation with the row's mean, of the grey levels or of
// the edges (gradient magnitude), at least --relative-match of the row's median
// and --min-match; a cup that looks like the row in only one of them ends it, and
// one in neither is dropped (a well hidden behind something, a cup-like spot
// past the row's end). The box is then read off the row's mean: the cup's dark
// bowl spans its width with a twelfth of that to spare on each side (the
// layout's framing); the top is, with --feeding-cups, the rail's lower edge
// (the middle of its shadow, from the darkest row to the step into the light,
// between the cups), without it the template's centre height; the height is the
// template's share of the width.
std::vector<std::vector<Match>> place_wells(const cv::Mat& grey, const std::vector<GridRow>& rows, int shrink,
                                            cv::Size t, double aspect, const LayoutCommand& c) {
  std::vector<std::vector<Match>> out;
  const cv::Rect frame(0, 0, grey.cols, grey.rows);
  cv::Mat edges, gx, gy;
  grey.convertTo(edges, CV_32F);
  cv::Sobel(edges, gx, CV_32F, 1, 0);
  cv::Sobel(edges, gy, CV_32F, 0, 1);
  cv::magnitude(gx, gy, edges);
  for (const GridRow& g : rows) {
    const int tw = t.width * shrink, th = t.height * shrink, m = std::max(3, th / 2);
    const cv::Size patch(tw + 2 * m, th + 2 * m);
    std::vector<cv::Point> tl;  // patches' top-left corners
    std::vector<int> col;       // and their columns
    for (const auto& [k, cup] : g.cups) tl.push_back(cup.box.tl() * shrink - cv::Point(m, m)), col.push_back(k);
    std::vector<double> ncc(tl.size(), 0);
    cv::Mat mean;
    for (int pass = 0; pass < 4; ++pass) {
      mean = cv::Mat::zeros(patch, CV_32F);
      int n = 0;
      for (const cv::Point& p : tl) {
        const cv::Rect rc(p, patch);
        if ((rc & frame) != rc) continue;
        cv::Mat f;
        grey(rc).convertTo(f, CV_32F);
        mean += f, ++n;
      }
      if (n == 0) break;
      mean /= n;
      if (pass == 3) break;
      const int reach = pass == 0 ? std::max(2, th / 4) : 2;
      for (size_t i = 0; i < tl.size(); ++i) {
        const cv::Rect win = cv::Rect(tl[i].x - reach, tl[i].y - reach, patch.width + 2 * reach, patch.height + 2 * reach) & frame;
        if (win.width < patch.width || win.height < patch.height) continue;
        cv::Mat f, r, low;
        grey(win).convertTo(f, CV_32F);
        cv::matchTemplate(f, mean, r, cv::TM_CCOEFF_NORMED);
        // placed by the bowl alone (below the rail, which may tilt on its own)
        const int lo = m + th * kBowlFrom / 100;
        cv::matchTemplate(f, mean.rowRange(lo, patch.height), low, cv::TM_CCOEFF_NORMED);
        cv::Point q;
        cv::minMaxLoc(low.rowRange(lo, lo + r.rows), nullptr, nullptr, nullptr, &q);
        tl[i] = win.tl() + q, ncc[i] = r.at<float>(q);
      }
    }
    if (mean.empty() || cv::countNonZero(mean) == 0) continue;
    // How much a cup looks like its row: the correlation with the row's mean,
    // of the grey levels and of the edges (gradient magnitude: a cup holding
    // something dark still has the row's rim and rail).
    cv::Mat edge_mean = cv::Mat::zeros(patch, CV_32F);
    int n_edges = 0;
    for (const cv::Point& p : tl)
      if ((cv::Rect(p, patch) & frame) == cv::Rect(p, patch)) edge_mean += edges(cv::Rect(p, patch)), ++n_edges;
    const cv::Mat edge_sum = edge_mean.clone();
    edge_mean /= std::max(1, n_edges);
    const auto correlation = [](const cv::Mat& a, const cv::Mat& b) {
      cv::Mat r;
      cv::matchTemplate(a, b, r, cv::TM_CCOEFF_NORMED);
      return static_cast<double>(r.at<float>(0, 0));
    };
    std::vector<double> edge_ncc(tl.size(), -1);  // each against the mean of the others, as a new cup is
    for (size_t i = 0; i < tl.size(); ++i)
      if ((cv::Rect(tl[i], patch) & frame) == cv::Rect(tl[i], patch) && n_edges > 1) {
        const cv::Mat own = edges(cv::Rect(tl[i], patch));
        edge_ncc[i] = correlation(own, (edge_sum - own) / (n_edges - 1));
      }
    const auto share_of_median = [&](std::vector<double> v) {
      std::sort(v.begin(), v.end());
      return std::max(c.min_match, c.relative_match * v[v.size() / 2]);
    };
    const double accept = share_of_median(ncc), accept_edges = share_of_median(edge_ncc);
    const auto looks_like_row = [&](double v, double e) { return v >= accept || e >= accept_edges; };
    // The row's ends: one pitch further along the row while the next cup still
    // looks like the row (grey levels and edges together place it).
    const auto look = [&](cv::Point at, cv::Point* found, double* v, double* e) {
      const int reach = std::max(2, th / 4);
      const cv::Rect win = cv::Rect(at.x - reach, at.y - reach, patch.width + 2 * reach, patch.height + 2 * reach) & frame;
      if (win.width < patch.width || win.height < patch.height) return false;
      cv::Mat f, r, re;
      grey(win).convertTo(f, CV_32F);
      cv::matchTemplate(f, mean, r, cv::TM_CCOEFF_NORMED);
      cv::matchTemplate(edges(win), edge_mean, re, cv::TM_CCOEFF_NORMED);
      cv::Point q;
      cv::minMaxLoc(r + re, nullptr, nullptr, nullptr, &q);
      *found = win.tl() + q, *v = r.at<float>(q), *e = re.at<float>(q);
      return true;
    };
    const cv::Point2d step(g.pitch * shrink, g.slope * shrink);
    for (int dir : {-1, 1})
      for (;;) {
        const cv::Point end = dir < 0 ? tl.front() : tl.back();
        cv::Point found;
        double v = 0, e = 0;
        if (!look(end + cv::Point(static_cast<int>(std::lround(dir * step.x)), static_cast<int>(std::lround(dir * step.y))),
                  &found, &v, &e) ||
            !looks_like_row(v, e))
          break;
        if (dir < 0)
          tl.insert(tl.begin(), found), ncc.insert(ncc.begin(), v), edge_ncc.insert(edge_ncc.begin(), e),
              col.insert(col.begin(), col.front() - 1);
        else
          tl.push_back(found), ncc.push_back(v), edge_ncc.push_back(e), col.push_back(col.back() + 1);
        if (v < accept || e < accept_edges) break;  // a cup like the row only in part ends it
      }
    // A row's cups stand on a straight line (their spacing along it may vary a
    // little): a cup the alignment moved off the line in height (a robust fit,
    // the farthest dropped while any lies off it) is put back on it.
    {
      GridRow fit;
      for (size_t i = 0; i < tl.size(); ++i) fit.cups[col[i]] = {cv::Rect(tl[i], patch), 0};
      const double off = std::max(2.0, th / 10.0);
      while (fit_line(fit) && fit.cups.size() > 3) {
        int worst = 0;
        double far = 0;
        for (const auto& [k, cup] : fit.cups)
          if (std::abs(cup.box.y - (fit.y0 + fit.slope * k)) > far) far = std::abs(cup.box.y - (fit.y0 + fit.slope * k)), worst = k;
        if (far <= off) break;
        fit.cups.erase(worst);
      }
      if (fit.cups.size() > 3)
        for (size_t i = 0; i < tl.size(); ++i) {
          const double y = fit.y0 + fit.slope * col[i];
          if (std::abs(tl[i].y - y) > off) tl[i].y = static_cast<int>(std::lround(y));
        }
    }
    // The bowl's sides: the steepest fall and rise of the mean across the cup.
    cv::Mat across;
    cv::reduce(mean.rowRange(m + th * 3 / 10, m + th * 8 / 10), across, 0, cv::REDUCE_AVG);
    int left = 1, right = patch.width - 2;
    float fall = 0, rise = 0;
    for (int x = 0; x + 1 < patch.width; ++x) {
      const float d = across.at<float>(0, x + 1) - across.at<float>(0, x);
      if (x < patch.width / 2 && d < fall) fall = d, left = x;
      if (x >= patch.width / 2 && d > rise) rise = d, right = x;
    }
    const double bowl = right - left, spare = bowl / 12.0;
    const int width = static_cast<int>(std::lround(bowl + 2 * spare));
    const int height = static_cast<int>(std::lround(width * aspect));
    const int x = static_cast<int>(std::lround(left + 0.5 - spare));
    int y = m + (th - height) / 2;
    if (c.feeding_cups) {
      // The rail's lower edge, between the cups (left of the bowl and right of it).
      std::vector<double> down(patch.height, 0);
      for (int yy = 0; yy < patch.height; ++yy) {
        double s = 0;
        int n = 0;
        for (int xx = 0; xx < patch.width; ++xx)
          if (xx < left - 2 || xx > right + 3) s += mean.at<float>(yy, xx), ++n;
        down[yy] = n ? s / n : 0;
      }
      double step = 0;
      int edge = y;
      for (int yy = std::max(1, m - th / 3); yy <= std::min(patch.height - 1, m + th / 3); ++yy)
        if (down[yy] - down[yy - 1] > step) step = down[yy] - down[yy - 1], edge = yy;
      // the edge is the rail's shadow: from its darkest row to the step into the light
      int darkest = edge;
      for (int yy = std::max(0, edge - th / 3); yy < edge; ++yy)
        if (down[yy] < down[darkest]) darkest = yy;
      y = (darkest + edge + 1) / 2;
    }
    std::vector<Match> wells;
    for (size_t i = 0; i < tl.size(); ++i)
      if (looks_like_row(ncc[i], edge_ncc[i])) wells.push_back({cv::Rect(tl[i].x + x, tl[i].y + y, width, height) & frame, ncc[i]});
    if (static_cast<int>(wells.size()) >= c.min_per_row) out.push_back(wells);
  }
  return out;
}

}  // namespace

CLI::App* add_layout_command(CLI::App& app, LayoutCommand& c) {
  auto* x = app.add_subcommand(
      "layout",
      "Propose the wells of a camera's frame: finds the cups by matching a cup template at many scales, fits each "
      "row of them as a regular row (pitch and tilt from the image, gaps filled), places every well by its row's "
      "mean look, writes a layout file (r<row>w<column>, rows from the top, columns from the left) and a picture "
      "of its boxes on the frame, for a person to check and edit.");
  x->add_option("--image", c.image,
                "A frame of the camera (png/jpg) at its full resolution: cups at least 18 px wide")
      ->required()
      ->check(CLI::ExistingFile);
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
                "Lowest correlation a cup may have: with the template, as a share of the mean of the best 12; with "
                "its row's mean look, as a share of the row's median")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  x->add_option("--seed-match", c.seed_match,
                "Matches that start a row: at least this share of the mean of the best 12")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  x->add_flag("--feeding-cups,!--no-feeding-cups", c.feeding_cups,
              "The cups come in pairs, a feeding cup over the rail and the well under it (the plant's casting "
              "table): the rows found are the feeding cups, each well is the best match under its feeding cup and "
              "each box's top is the rail's lower edge (default); --no-feeding-cups takes the rows found as the "
              "wells")
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
    // Large frames are searched at half size (less noise, four times faster);
    // the wells are then placed on the full frame.
    const int shrink = frame.cols > 1200 ? 2 : 1;
    cv::Mat small = grey;
    if (shrink > 1) cv::resize(grey, small, cv::Size(), 1.0 / shrink, 1.0 / shrink, cv::INTER_AREA);
    double scale = 0;
    const auto grid = propose_rows(small, templ, c, &scale);
    const cv::Size cup = scaled_template(templ, scale).size();
    if (cup.width * shrink < kMinCupWidth)
      throw std::runtime_error(fmt::format(
          "{}: its cups look about {} px wide, too small to place wells (at least {} px: give the camera's frame "
          "at its full resolution)",
          c.image, cup.width * shrink, kMinCupWidth));
    auto rows = place_wells(grey, grid, shrink, cup, static_cast<double>(templ.rows) / templ.cols, c);
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
