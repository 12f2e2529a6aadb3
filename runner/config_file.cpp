#include "config_file.h"

#include <fstream>

namespace wellmonitor::run {

std::optional<std::vector<std::string>> split_words(const std::string& line, std::string& error) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  char quote = 0;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quote == '\'') {
      if (c == '\'')
        quote = 0;
      else
        word += c;
      continue;
    }
    if (c == '\\' && i + 1 < line.size()) {
      word += line[++i];
      in_word = true;
      continue;
    }
    if (quote == '"') {
      if (c == '"')
        quote = 0;
      else
        word += c;
      continue;
    }
    if (c == '\'' || c == '"') {
      quote = c;
      in_word = true;
    } else if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      if (in_word) words.push_back(word);
      word.clear();
      in_word = false;
    } else if (c == '#' && !in_word) {
      break;
    } else {
      word += c;
      in_word = true;
    }
  }
  if (quote) {
    error = std::string("unterminated ") + (quote == '"' ? "double" : "single") + " quote";
    return std::nullopt;
  }
  if (in_word) words.push_back(word);
  return words;
}

namespace {

bool read_file_words(const std::string& path, std::vector<std::string>& out, std::string& error) {
  std::ifstream in(path);
  if (!in) {
    error = "cannot read config file '" + path + "'";
    return false;
  }
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    std::string why;
    const auto words = split_words(line, why);
    if (!words) {
      error = path + ":" + std::to_string(number) + ": " + why;
      return false;
    }
    for (const auto& w : *words) {
      if (w == "--config" || w.rfind("--config=", 0) == 0) {
        error = path + ":" + std::to_string(number) + ": --config inside a config file";
        return false;
      }
      out.push_back(w);
    }
  }
  return true;
}

}  // namespace

bool expand_config_files(const std::vector<std::string>& args, std::vector<std::string>& out, std::string& error) {
  out.clear();
  for (size_t i = 0; i < args.size(); ++i) {
    std::string path;
    if (args[i] == "--config") {
      if (i + 1 >= args.size()) {
        error = "--config needs a FILE";
        return false;
      }
      path = args[++i];
    } else if (args[i].rfind("--config=", 0) == 0) {
      path = args[i].substr(9);
    } else {
      out.push_back(args[i]);
      continue;
    }
    if (!read_file_words(path, out, error)) return false;
  }
  return true;
}

}  // namespace wellmonitor::run
