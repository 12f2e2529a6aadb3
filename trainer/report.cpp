#include "report.h"

#include "wellmonitor/dataset.h"

#include <fmt/core.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

namespace wellmonitor {

namespace {

// Where Debian's libjs-chart.js puts Chart.js (WELLMONITOR_CHARTJS overrides).
std::string chartjs() {
  std::vector<std::string> where;
  if (const char* env = std::getenv("WELLMONITOR_CHARTJS")) where.push_back(env);
  where.push_back("/usr/share/javascript/chart.js/chart.min.js");
  for (const auto& p : where) {
    std::ifstream f(p, std::ios::binary);
    if (!f) continue;
    std::ostringstream s;
    s << f.rdbuf();
    return s.str();
  }
  throw std::runtime_error("Chart.js is missing (" + where.back() + "; Debian: apt-get install libjs-chart.js)");
}

std::string base64(const std::vector<uchar>& in) {
  static const char* k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v = (in[i] << 16) | (in[i + 1] << 8) | in[i + 2];
    out += {k[v >> 18], k[(v >> 12) & 63], k[(v >> 6) & 63], k[v & 63]};
  }
  if (i + 1 == in.size()) {
    const unsigned v = in[i] << 16;
    out += {k[v >> 18], k[(v >> 12) & 63], '=', '='};
  } else if (i + 2 == in.size()) {
    const unsigned v = (in[i] << 16) | (in[i + 1] << 8);
    out += {k[v >> 18], k[(v >> 12) & 63], k[(v >> 6) & 63], '='};
  }
  return out;
}

std::string png_uri(const cv::Mat& m, int scale = 2) {
  cv::Mat big;
  cv::resize(m, big, cv::Size(), scale, scale, cv::INTER_NEAREST);
  std::vector<uchar> buf;
  cv::imencode(".png", big, buf);
  return "data:image/png;base64," + base64(buf);
}

std::string html_escape(const std::string& s) {
  std::string o;
  for (char ch : s) {
    if (ch == '<') o += "&lt;";
    else if (ch == '>') o += "&gt;";
    else if (ch == '&') o += "&amp;";
    else if (ch == '"') o += "&quot;";
    else o += ch;
  }
  return o;
}

// A tensor [C, H, W] in [-1, 1] as an 8-bit BGR picture.
cv::Mat to_picture(const torch::Tensor& t) {
  auto x = ((t.clamp(-1, 1) + 1) * 127.5).round().to(torch::kUInt8).permute({1, 2, 0}).contiguous();
  cv::Mat m(static_cast<int>(x.size(0)), static_cast<int>(x.size(1)), x.size(2) == 3 ? CV_8UC3 : CV_8UC1,
            x.data_ptr<uint8_t>());
  cv::Mat out;
  if (m.channels() == 3) cv::cvtColor(m, out, cv::COLOR_RGB2BGR);
  else cv::cvtColor(m, out, cv::COLOR_GRAY2BGR);
  return out;
}

nlohmann::json points(const std::vector<std::pair<double, double>>& xy) {
  nlohmann::json a = nlohmann::json::array();
  const size_t step = std::max<size_t>(1, xy.size() / 400);
  for (size_t i = 0; i < xy.size(); i += step) a.push_back({{"x", xy[i].first}, {"y", xy[i].second}});
  if (!xy.empty()) a.push_back({{"x", xy.back().first}, {"y", xy.back().second}});
  return a;
}

std::string rate(size_t k, size_t n) { return n ? fmt::format("{:.4f} ({}/{})", double(k) / double(n), k, n) : "n/a"; }

}  // namespace

int well_of_name(const std::string& name) {
  const auto s = parse_spill_name(name);
  return s ? s->well : -1;
}

void write_report(const ReportData& d, Detector& det, const std::string& path) {
  const std::string js = chartjs();
  const double thr = d.threshold;
  std::vector<double> normal, spill;
  for (const auto& c : d.crops) (c.label ? spill : normal).push_back(c.score);

  // Loss curve from the model's training record.
  const nlohmann::json tr = d.training.is_null() ? det.model().training.to_json() : d.training;
  nlohmann::json loss = {{"train", nlohmann::json::array()}, {"val", nlohmann::json::array()}};
  for (const char* k : {"train_loss", "val_loss"})
    if (tr.contains(k) && tr[k].is_array())
      for (size_t i = 0; i < tr[k].size(); ++i)
        if (tr[k][i].is_number()) loss[k == std::string("train_loss") ? "train" : "val"].push_back({{"x", i + 1}, {"y", tr[k][i]}});

  // Score histograms (shares of each class per bin).
  double lo = 1e300, hi = -1e300;
  for (const auto& c : d.crops) lo = std::min(lo, c.score), hi = std::max(hi, c.score);
  lo = std::min(lo, thr), hi = std::max(hi, thr);
  if (!(hi > lo)) hi = lo + 1;
  constexpr int kBins = 40;
  const auto hist = [&](const std::vector<double>& v) {
    std::vector<double> h(kBins, 0);
    for (double s : v) h[std::min(kBins - 1, static_cast<int>((s - lo) / (hi - lo) * kBins))] += 1.0 / double(v.size());
    nlohmann::json a = nlohmann::json::array();
    for (int b = 0; b < kBins; ++b) a.push_back({{"x", lo + (b + 0.5) * (hi - lo) / kBins}, {"y", h[b]}});
    return a;
  };

  // ROC and PR, and the operating point.
  std::vector<std::pair<double, int>> sorted;
  for (const auto& c : d.crops) sorted.push_back({c.score, c.label});
  std::sort(sorted.begin(), sorted.end(), [](auto& a, auto& b) { return a.first > b.first; });
  std::vector<std::pair<double, double>> roc = {{0, 0}}, pr;
  size_t tp = 0, fp = 0;
  for (size_t i = 0; i < sorted.size(); ++i) {
    (sorted[i].second ? tp : fp)++;
    if (i + 1 < sorted.size() && sorted[i + 1].first == sorted[i].first) continue;
    roc.push_back({normal.empty() ? 0 : double(fp) / normal.size(), spill.empty() ? 0 : double(tp) / spill.size()});
    if (!spill.empty()) pr.push_back({double(tp) / spill.size(), double(tp) / double(tp + fp)});
  }
  size_t op_tp = 0, op_fp = 0;
  for (double s : spill) op_tp += s > thr;
  for (double s : normal) op_fp += s > thr;
  const double op_fpr = normal.empty() ? 0 : double(op_fp) / normal.size();
  const double op_tpr = spill.empty() ? 0 : double(op_tp) / spill.size();
  const double op_prec = op_tp + op_fp ? double(op_tp) / double(op_tp + op_fp) : 1.0;

  // Rates per part and per well.
  struct Count { size_t tp = 0, fn = 0, tn = 0, fp = 0; };
  std::map<std::string, Count> parts, wells;
  for (const auto& c : d.crops) {
    const bool over = c.score > thr;
    for (Count* k : {&parts[c.part], c.well >= 0 ? &wells[fmt::format("well {:02}", c.well)] : nullptr}) {
      if (!k) continue;
      if (c.label) (over ? k->tp : k->fn)++;
      else (over ? k->fp : k->tn)++;
    }
  }
  const auto table = [&](const std::map<std::string, Count>& m, const char* what) {
    std::string h = fmt::format("<table><tr><th>{}</th><th>TPR</th><th>TNR</th><th>TP</th><th>FN</th><th>TN</th><th>FP</th></tr>", what);
    for (const auto& [k, v] : m)
      h += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                       html_escape(k), rate(v.tp, v.tp + v.fn), rate(v.tn, v.tn + v.fp), v.tp, v.fn, v.tn, v.fp);
    return h + "</table>";
  };

  // Tiles: the highest-scoring normals over the threshold, the lowest spills under it.
  constexpr size_t kTiles = 12;
  std::vector<const ReportCrop*> alarms, misses;
  for (const auto& c : d.crops)
    if (!c.image.empty() && (c.label ? c.score <= thr : c.score > thr)) (c.label ? misses : alarms).push_back(&c);
  std::sort(alarms.begin(), alarms.end(), [](auto a, auto b) { return a->score > b->score; });
  std::sort(misses.begin(), misses.end(), [](auto a, auto b) { return a->score < b->score; });
  const bool autoencoder = !det.model().network->is_classifier();
  const auto tiles = [&](std::vector<const ReportCrop*> v, const char* none) {
    if (v.size() > kTiles) v.resize(kTiles);
    if (v.empty()) return fmt::format("<p class=none>{}</p>", none);
    std::string h = "<div class=tiles>";
    std::vector<cv::Mat> imgs;
    for (auto* c : v) imgs.push_back(c->image);
    torch::Tensor rec;
    torch::Tensor in = preprocess_batch(imgs, det.model().preprocess);
    if (autoencoder) rec = det.reconstruct(in);
    for (size_t i = 0; i < v.size(); ++i) {
      h += fmt::format("<figure><img src=\"{}\" title=\"crop\">", png_uri(v[i]->image));
      if (autoencoder) {
        cv::Mat err;
        const auto e = (in[i] - rec[i]).abs().mean(0);  // [H, W]
        cv::Mat em(static_cast<int>(e.size(0)), static_cast<int>(e.size(1)), CV_32FC1, e.contiguous().data_ptr<float>());
        em.convertTo(err, CV_8UC1, 255.0 / 2.0);
        cv::applyColorMap(err, err, cv::COLORMAP_INFERNO);
        h += fmt::format("<img src=\"{}\" title=\"reconstruction\"><img src=\"{}\" title=\"error map\">",
                         png_uri(to_picture(rec[i])), png_uri(err));
      }
      h += fmt::format("<figcaption>{}<br>score {:.4f} ({})</figcaption></figure>", html_escape(v[i]->name),
                       v[i]->score, html_escape(v[i]->part));
    }
    return h + "</div>";
  };

  const nlohmann::json data = {
      {"loss", loss},
      {"threshold", thr},
      {"lo", lo},
      {"hi", hi},
      {"normal", hist(normal)},
      {"spill", hist(spill)},
      {"roc", points(roc)},
      {"pr", points(pr)},
      {"op", {{"fpr", op_fpr}, {"tpr", op_tpr}, {"precision", op_prec}}},
  };
  std::ofstream f(path);
  if (!f) throw std::runtime_error(path + ": cannot write the report");
  f << "<!DOCTYPE html>\n<html><head><meta charset=utf-8><title>wellmonitor " << html_escape(d.title) << " report</title>\n"
    << "<style>body{font-family:sans-serif;margin:1em 2em;max-width:1100px}section{margin:1.5em 0}"
       ".chart{height:320px}table{border-collapse:collapse}td,th{border:1px solid #bbb;padding:2px 8px;"
       "text-align:right}td:first-child{text-align:left}.tiles{display:flex;flex-wrap:wrap;gap:8px}"
       "figure{margin:0;border:1px solid #ccc;padding:4px;font-size:11px}figure img{margin-right:2px}"
       ".none{color:#666}</style>\n<script>" << js << "</script></head><body>\n"
    << fmt::format("<h1>wellmonitor {} report</h1><p>model {} ({}), threshold {:.6g}; {} crops: {} normals, {} spills</p>\n",
                   html_escape(d.title), html_escape(d.model_path), html_escape(det.model().arch), thr, d.crops.size(),
                   normal.size(), spill.size())
    << "<section id=loss><h2>Loss curve</h2><div class=chart><canvas></canvas></div></section>\n"
    << "<section id=scores><h2>Score distributions</h2><div class=chart><canvas></canvas></div></section>\n"
    << fmt::format("<section id=roc><h2>ROC curve</h2><p>operating point: FPR {:.4f}, TPR {:.4f}</p><div class=chart><canvas></canvas></div></section>\n",
                   op_fpr, op_tpr)
    << fmt::format("<section id=pr><h2>Precision-recall curve</h2><p>operating point: recall {:.4f}, precision {:.4f}</p><div class=chart><canvas></canvas></div></section>\n",
                   op_tpr, op_prec)
    << "<section id=rates><h2>TPR and TNR per part and per well</h2>" << table(parts, "part")
    << (wells.empty() ? "<p class=none>no crop names a well</p>" : table(wells, "well")) << "</section>\n"
    << "<section id=alarms><h2>Worst false alarms</h2>" << tiles(alarms, "no false alarm")
    << "</section>\n<section id=misses><h2>Worst misses</h2>" << tiles(misses, "no missed spill") << "</section>\n"
    << "<script>window.onerror = (m) => { document.body.dataset.error = m; };\nconst D = " << data.dump() << ";\n" << R"JS(
function chart(id, datasets, x, y, extra) {
  const s = document.getElementById(id);
  try {
    new Chart(s.querySelector('canvas'), {type: 'line', data: {datasets},
      options: Object.assign({animation: false, responsive: true, maintainAspectRatio: false, parsing: false,
        scales: {x: Object.assign({type: 'linear', title: {display: true, text: x}}, extra && extra.x),
                 y: Object.assign({type: 'linear', title: {display: true, text: y}}, extra && extra.y)}}, {})});
    s.dataset.rendered = datasets.some(d => d.data.length > 0) ? 'yes' : 'empty';
  } catch (e) { s.dataset.rendered = 'error: ' + e; }
}
const vline = (x, height, label) => ({label, data: [{x, y: 0}, {x, y: height}], borderColor: '#d00', borderDash: [6, 4], pointRadius: 0});
chart('loss', [{label: 'training', data: D.loss.train, borderColor: '#36c'},
               {label: 'validation', data: D.loss.val, borderColor: '#e80'}], 'epoch', 'loss');
const peak = Math.max(...D.normal.map(p => p.y), ...D.spill.map(p => p.y), 0.01);
chart('scores', [{label: 'normals', data: D.normal, borderColor: '#36c', stepped: 'middle', pointRadius: 0},
                 {label: 'spills', data: D.spill, borderColor: '#e80', stepped: 'middle', pointRadius: 0},
                 vline(D.threshold, peak, 'threshold ' + D.threshold.toPrecision(4))], 'score', 'share of the class');
const op = (x, y) => ({label: 'operating point', data: [{x, y}], borderColor: '#d00', backgroundColor: '#d00', pointRadius: 6, showLine: false});
chart('roc', [{label: 'ROC', data: D.roc, borderColor: '#36c', pointRadius: 0}, op(D.op.fpr, D.op.tpr)],
      'false positive rate', 'true positive rate', {x: {min: 0, max: 1}, y: {min: 0, max: 1}});
chart('pr', [{label: 'PR', data: D.pr, borderColor: '#36c', pointRadius: 0}, op(D.op.tpr, D.op.precision)],
      'recall', 'precision', {x: {min: 0, max: 1}, y: {min: 0, max: 1}});
for (const id of ['rates', 'alarms', 'misses']) document.getElementById(id).dataset.rendered = 'yes';
document.body.dataset.rendered = 'yes';
)JS" << "</script></body></html>\n";
  if (!f.flush()) throw std::runtime_error(path + ": cannot write the report");
}

}  // namespace wellmonitor
