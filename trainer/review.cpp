// wellmonitor-trainer review: one HTML page of crops (sorted by score, grouped
// by well) on which a person marks each crop spill or normal, with the mouse
// (click toggles) or the keyboard (arrows move, s = spill, n = normal), and
// exports a labels file '<file> <0|1>' as evaluate and train read it. The page
// holds the crops inline and needs no network.
#include "common.h"

#include <CLI/CLI.hpp>
#include <opencv2/imgcodecs.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace fs = std::filesystem;

namespace wellmonitor {

namespace {

std::string b64(const std::string& in) {
  static const char* k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  unsigned v = 0;
  int bits = -6;
  for (unsigned char ch : in) {
    v = (v << 8) + ch;
    bits += 8;
    while (bits >= 0) out.push_back(k[(v >> bits) & 63]), bits -= 6;
  }
  if (bits > -6) out.push_back(k[((v << 8) >> (bits + 8)) & 63]);
  while (out.size() % 4) out.push_back('=');
  return out;
}

std::string esc(const std::string& s) {
  std::string o;
  for (char ch : s) o += ch == '<' ? "&lt;" : ch == '>' ? "&gt;" : ch == '&' ? "&amp;" : ch == '"' ? "&quot;" : std::string(1, ch);
  return o;
}

std::vector<std::string> split_csv(const std::string& line) {
  std::vector<std::string> f;
  std::stringstream ss(line);
  for (std::string x; std::getline(ss, x, ',');) f.push_back(x);
  return f;
}

}  // namespace

CLI::App* add_review_command(CLI::App& app, ReviewCommand& c) {
  auto* x = app.add_subcommand(
      "review",
      "Write an HTML page of the crops of a folder, sorted by score and grouped by well, on which a person marks each "
      "crop as spill or normal (click toggles; arrows move, s = spill, n = normal) and exports a labels file "
      "('<file> <0|1>', as evaluate reads it).");
  x->add_option("--images", c.images, "Folder of crops")->required()->check(CLI::ExistingDirectory);
  x->add_option("--scores", c.scores,
                "CSV with 'file' and 'score' columns (and 'well'), as extract --model and evaluate --scores write it");
  x->add_option("--out", c.out, "HTML page to write")->required();
  return x;
}

int run_review(const ReviewCommand& c) {
  return guarded([&]() -> int {
    struct Item {
      std::string file, well;
      double score = -1;
      bool scored = false;
    };
    std::map<std::string, Item> items;
    for (const auto& e : fs::directory_iterator(c.images)) {
      std::string ext = e.path().extension().string();
      std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
      if (!e.is_regular_file() || (ext != ".jpg" && ext != ".jpeg" && ext != ".png" && ext != ".bmp")) continue;
      const std::string name = e.path().filename().string();
      const size_t us = name.find('_');
      items[name] = {name, us == std::string::npos ? "-" : name.substr(0, us), -1, false};
    }
    if (items.empty()) throw std::runtime_error(c.images + ": no crops (jpg/png/bmp)");
    if (!c.scores.empty()) {
      std::ifstream in(c.scores);
      if (!in) throw std::runtime_error(c.scores + ": cannot read");
      std::string line;
      std::getline(in, line);
      const auto head = split_csv(line);
      const auto col = [&](const char* n) { return std::find(head.begin(), head.end(), n) - head.begin(); };
      const size_t fi = col("file"), si = col("score"), wi = col("well");
      if (fi >= head.size() || si >= head.size())
        throw std::runtime_error(c.scores + ":1: needs 'file' and 'score' columns");
      for (int ln = 2; std::getline(in, line); ++ln) {
        if (line.empty()) continue;
        const auto f = split_csv(line);
        if (f.size() != head.size()) throw std::runtime_error(fmt::format("{}:{}: {} fields, the header has {}", c.scores, ln, f.size(), head.size()));
        auto it = items.find(f[fi]);
        if (it == items.end()) continue;
        try {
          it->second.score = std::stod(f[si]);
        } catch (const std::exception&) {
          throw std::runtime_error(fmt::format("{}:{}: score '{}' is not a number", c.scores, ln, f[si]));
        }
        it->second.scored = true;
        if (wi < head.size()) it->second.well = f[wi];
      }
    }
    // Groups by well, the group with the highest score first; crops by score within.
    std::map<std::string, std::vector<const Item*>> groups;
    for (const auto& [_, it] : items) groups[it.well].push_back(&it);
    std::vector<std::pair<std::string, std::vector<const Item*>>> order(groups.begin(), groups.end());
    for (auto& [_, v] : order)
      std::sort(v.begin(), v.end(), [](auto a, auto b) { return a->score != b->score ? a->score > b->score : a->file < b->file; });
    std::stable_sort(order.begin(), order.end(), [](auto& a, auto& b) { return a.second.front()->score > b.second.front()->score; });

    std::ofstream f(c.out);
    if (!f) throw std::runtime_error(c.out + ": cannot write");
    f << "<!DOCTYPE html>\n<html><head><meta charset=utf-8><title>wellmonitor review</title><style>"
         "body{font-family:sans-serif;margin:1em}.tiles{display:flex;flex-wrap:wrap;gap:6px}"
         "figure{margin:0;padding:3px;border:3px solid #8c8;font-size:11px;cursor:pointer;width:120px}"
         "figure[data-label=\"1\"]{border-color:#e22;background:#fdd}figure:focus{outline:3px solid #36c}"
         "figure img{width:112px;image-rendering:pixelated}#bar{position:sticky;top:0;background:#fff;padding:4px}"
         "</style></head><body>\n<div id=bar><b>wellmonitor review</b>: " << items.size()
      << " crops of " << esc(c.images) << ". Click a crop to toggle spill (red) / normal (green); arrows move, "
         "<kbd>s</kbd> spill, <kbd>n</kbd> normal. <button id=export>Export labels</button> "
         "<span id=count></span><br><textarea id=exported rows=3 cols=80 readonly></textarea></div>\n";
    for (const auto& [well, v] : order) {
      f << "<h2>well " << esc(well) << " (" << v.size() << ")</h2><div class=tiles>\n";
      for (const Item* it : v) {
        std::ifstream img(fs::path(c.images) / it->file, std::ios::binary);
        std::ostringstream bytes;
        bytes << img.rdbuf();
        std::string ext = fs::path(it->file).extension().string().substr(1);
        std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
        f << "<figure tabindex=0 data-file=\"" << esc(it->file) << "\" data-label=\"0\"><img src=\"data:image/"
          << (ext == "jpg" ? "jpeg" : ext) << ";base64," << b64(bytes.str()) << "\"><figcaption>" << esc(it->file)
          << (it->scored ? fmt::format("<br>score {:.4f}", it->score) : std::string()) << "</figcaption></figure>\n";
      }
      f << "</div>\n";
    }
    f << R"JS(<script>
const tiles = [...document.querySelectorAll('figure')];
const count = () => { document.getElementById('count').textContent =
  tiles.filter(t => t.dataset.label === '1').length + ' spill(s) of ' + tiles.length; };
const mark = (t, v) => { t.dataset.label = v; count(); };
tiles.forEach((t, i) => {
  t.addEventListener('click', () => { mark(t, t.dataset.label === '1' ? '0' : '1'); t.focus(); });
  t.addEventListener('keydown', e => {
    if (e.key === 's') mark(t, '1');
    else if (e.key === 'n') mark(t, '0');
    else if (e.key === 'ArrowRight' || e.key === 'ArrowDown') tiles[Math.min(i + 1, tiles.length - 1)].focus();
    else if (e.key === 'ArrowLeft' || e.key === 'ArrowUp') tiles[Math.max(i - 1, 0)].focus();
    else return;
    e.preventDefault();
  });
});
document.getElementById('export').addEventListener('click', () => {
  const text = '# labels from wellmonitor review: <file> <0|1>, 1 = spill\n' +
    tiles.map(t => t.dataset.file + ' ' + t.dataset.label).join('\n') + '\n';
  document.getElementById('exported').value = text;
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([text], {type: 'text/plain'}));
  a.download = 'labels.txt';
  a.click();
});
count();
document.body.dataset.ready = 'yes';
</script></body></html>
)JS";
    if (!f.flush()) throw std::runtime_error(c.out + ": cannot write");
    fmt::print("review: {} crops in {} well group(s) written to {}\n", items.size(), order.size(), c.out);
    return 0;
  });
}

}  // namespace wellmonitor
