// wellmonitor-trainer review: one HTML page of crops (sorted by score, grouped
// by well) on which a person marks each crop spill or normal, with the mouse
// (click toggles) or the keyboard (arrows move, s = spill, n = normal), and
// exports a labels file '<file> <0|1>' as evaluate and train read it. Only the
// crops a person looked at (moved onto or marked) are exported; the labels are
// kept in the browser's localStorage under a key of the image set, so a reload
// or a closed tab loses nothing. Files that are no readable image are skipped
// with a note. The page holds the crops inline and needs no network.
#include "common.h"
#include "wellmonitor/errors.h"
#include "wellmonitor/file_io.h"

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
      "crop as spill or normal (click toggles; arrows move, s = spill, n = normal; a crop moved onto counts as looked "
      "at, normal until marked) and exports a labels file of the crops looked at ('<file> <0|1>', as evaluate and "
      "train --labels read it). Labels are kept in the browser (localStorage, per image set) across reloads. Files "
      "that are no readable image are skipped with a warning and a note on the page.");
  x->add_option("--images", c.images, "Folder of crops")->required()->check(CLI::ExistingDirectory);
  x->add_option("--scores", c.scores,
                "CSV with 'file' and 'score' columns (and 'well'), as extract --model and evaluate --scores write it");
  x->add_option("--out", c.out, "HTML page to write")->required();
  return x;
}

int run_review(const ReviewCommand& c) {
  return guarded([&]() -> int {
    struct Item {
      std::string file, well;  // well: empty when the name carries none
      double score = -1;
      bool scored = false;
      std::string bytes;       // the file, as read
    };
    std::map<std::string, Item> items;
    std::vector<std::string> skipped;  // "name: why" of files that are no readable image
    for (const auto& e : fs::directory_iterator(c.images)) {
      const std::string name = e.path().filename().string();
      if (!e.is_regular_file() || !is_image_file(name)) continue;
      Item it;
      it.file = name;
      std::string why;
      cv::Mat image;
      if (!read_regular_file(e.path().string(), kMaxCropFileBytes, it.bytes, why) ||
          !decode_crop(it.bytes, image, why)) {
        skipped.push_back(printable(name) + ": " + why);
        continue;
      }
      // "<well>_..." (extract's and the spill names); names without '_' carry no well.
      const size_t us = name.find('_');
      if (us != std::string::npos && us > 0) it.well = name.substr(0, us);
      items[name] = std::move(it);
    }
    std::sort(skipped.begin(), skipped.end());
    for (const auto& s : skipped) warn("skipped " + s);
    if (items.empty())
      throw std::runtime_error(c.images + ": no readable crops (jpg/png/bmp)" +
                               (skipped.empty() ? std::string() : fmt::format(", {} unreadable", skipped.size())));
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
          throw std::runtime_error(fmt::format("{}:{}: score '{}' is not a number", c.scores, ln, printable(f[si])));
        }
        it->second.scored = true;
        if (wi < head.size()) it->second.well = f[wi];
      }
    }
    // The labels a person gives are kept in the browser (localStorage) under a
    // key of this image set: the names and contents of its crops.
    std::string set_text;
    for (const auto& [name, it] : items) set_text += name + '\n' + sha256_hex(it.bytes.data(), it.bytes.size()) + '\n';
    const std::string set_key = "wellmonitor-review:" + sha256_hex(set_text.data(), set_text.size()).substr(0, 32);

    // Groups by well, the group with the highest score first; crops by score within.
    // Crops without a well form one group, last among equals.
    std::map<std::string, std::vector<const Item*>> groups;
    for (const auto& [_, it] : items) groups[it.well].push_back(&it);
    std::vector<std::pair<std::string, std::vector<const Item*>>> order(groups.begin(), groups.end());
    for (auto& [_, v] : order)
      std::sort(v.begin(), v.end(), [](auto a, auto b) { return a->score != b->score ? a->score > b->score : a->file < b->file; });
    std::stable_sort(order.begin(), order.end(), [](auto& a, auto& b) {
      if (a.second.front()->score != b.second.front()->score) return a.second.front()->score > b.second.front()->score;
      return !a.first.empty() && b.first.empty();
    });

    std::ofstream f(c.out);
    if (!f) throw std::runtime_error(c.out + ": cannot write");
    f << "<!DOCTYPE html>\n<html><head><meta charset=utf-8><title>wellmonitor review</title><style>"
         "body{font-family:sans-serif;margin:1em}.tiles{display:flex;flex-wrap:wrap;gap:6px}"
         "figure{margin:0;padding:3px;border:3px dashed #bbb;font-size:11px;cursor:pointer;width:120px;color:#666}"
         "figure[data-label=\"0\"]{border:3px solid #8c8;color:#000}"
         "figure[data-label=\"1\"]{border:3px solid #e22;background:#fdd;color:#000}figure:focus{outline:3px solid #36c}"
         "figure[data-broken]{display:none}"
         "figure img{width:112px;image-rendering:pixelated}#bar{position:sticky;top:0;background:#fff;padding:4px}"
         ".note{background:#ffe9a8;padding:4px}"
         "</style></head><body data-set=\"" << esc(set_key) << "\">\n<div id=bar><b>wellmonitor review</b>: "
      << items.size() << " crops of " << esc(c.images)
      << ". A crop you have not looked at is grey (dashed) and is left out of the export; moving onto it (click, "
         "arrows, Tab) marks it normal (green). Click toggles spill (red) / normal; arrows move, <kbd>s</kbd> spill, "
         "<kbd>n</kbd> normal; <i>rest normal</i> marks a well's unlooked-at crops normal. Labels are kept in this "
         "browser across reloads. <button id=export>Export labels</button> <button id=forget>Forget labels</button> "
         "<span id=count></span><span id=storage></span><br>"
         "<textarea id=exported rows=3 cols=80 readonly></textarea></div>\n";
    if (!skipped.empty()) {
      f << "<p class=note id=skipped>Skipped " << skipped.size()
        << " file(s) that are no readable image (not shown, not counted, never exported):";
      for (const auto& s : skipped) f << "<br>" << esc(s);
      f << "</p>\n";
    }
    for (const auto& [well, v] : order) {
      f << "<section><h2>" << (well.empty() ? std::string("crops without a well in their names") : "well " + esc(well))
        << " (" << v.size() << ") <button class=rest>rest normal</button></h2><div class=tiles>\n";
      for (const Item* it : v) {
        std::string ext = fs::path(it->file).extension().string().substr(1);
        std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
        f << "<figure tabindex=0 data-file=\"" << esc(it->file) << "\" data-label=\"\"><img src=\"data:image/"
          << (ext == "jpg" ? "jpeg" : ext) << ";base64," << b64(it->bytes) << "\"><figcaption>" << esc(it->file)
          << (it->scored ? fmt::format("<br>score {:.4f}", it->score) : std::string()) << "</figcaption></figure>\n";
      }
      f << "</div></section>\n";
    }
    f << R"JS(<script>
(() => {
// Labels: '' not looked at, '0' normal, '1' spill. Kept in localStorage under
// this image set's key, so a reload or a new tab goes on where it was.
const key = document.body.dataset.set;
const tiles = [...document.querySelectorAll('figure')];
const shown = () => tiles.filter(t => !t.dataset.broken);
let store = null;
try { store = window.localStorage; store.getItem(key); } catch (e) { store = null; }
document.getElementById('storage').textContent = store ? '' : ' (this browser keeps no labels: export before closing)';
const save = () => {
  if (!store) return;
  const labels = {};
  tiles.forEach(t => { if (t.dataset.label !== '') labels[t.dataset.file] = t.dataset.label; });
  try { store.setItem(key, JSON.stringify(labels)); } catch (e) {}
};
const count = () => {
  const v = shown(), n = l => v.filter(t => t.dataset.label === l).length;
  document.getElementById('count').textContent = n('1') + ' spill(s), ' + n('0') + ' normal(s), ' + n('') +
    ' not looked at, of ' + v.length;
};
const mark = (t, v) => { t.dataset.label = v; count(); save(); };
try {
  const kept = JSON.parse((store && store.getItem(key)) || '{}');
  tiles.forEach(t => { const l = kept[t.dataset.file]; if (l === '0' || l === '1') t.dataset.label = l; });
} catch (e) {}
tiles.forEach((t, i) => {
  const img = t.querySelector('img');
  img.addEventListener('error', () => { t.dataset.broken = '1'; t.dataset.label = ''; count(); save(); });
  // Moving onto a crop is looking at it: normal until marked spill.
  t.addEventListener('focus', () => { if (t.dataset.label === '') mark(t, '0'); });
  t.addEventListener('click', () => { mark(t, t.dataset.label === '1' ? '0' : '1'); t.focus(); });
  t.addEventListener('keydown', e => {
    const next = d => { for (let j = i + d; j >= 0 && j < tiles.length; j += d) if (!tiles[j].dataset.broken) return tiles[j]; return t; };
    if (e.key === 's') mark(t, '1');
    else if (e.key === 'n') mark(t, '0');
    else if (e.key === 'ArrowRight' || e.key === 'ArrowDown') next(1).focus();
    else if (e.key === 'ArrowLeft' || e.key === 'ArrowUp') next(-1).focus();
    else return;
    e.preventDefault();
  });
});
document.querySelectorAll('button.rest').forEach(b => b.addEventListener('click', () => {
  b.closest('section').querySelectorAll('figure').forEach(t => { if (t.dataset.label === '' && !t.dataset.broken) t.dataset.label = '0'; });
  count(); save();
}));
document.getElementById('forget').addEventListener('click', () => {
  if (!window.confirm('Forget every label given on this page?')) return;
  tiles.forEach(t => { t.dataset.label = ''; });
  if (store) try { store.removeItem(key); } catch (e) {}
  count();
});
document.getElementById('export').addEventListener('click', () => {
  const v = shown(), done = v.filter(t => t.dataset.label !== '');
  const text = '# labels from wellmonitor review: <file> <0|1>, 1 = spill; ' + done.length + ' of ' + v.length +
    ' crops looked at (the others are left out)\n' + done.map(t => t.dataset.file + ' ' + t.dataset.label).join('\n') +
    (done.length ? '\n' : '');
  document.getElementById('exported').value = text;
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([text], {type: 'text/plain'}));
  a.download = 'labels.txt';
  a.click();
});
count();
document.body.dataset.ready = 'yes';
})();
</script></body></html>
)JS";
    if (!f.flush()) throw std::runtime_error(c.out + ": cannot write");
    fmt::print("review: {} crops in {} well group(s) written to {}{}\n", items.size(), order.size(), c.out,
               skipped.empty() ? std::string() : fmt::format(" ({} unreadable file(s) skipped)", skipped.size()));
    return 0;
  });
}

}  // namespace wellmonitor
