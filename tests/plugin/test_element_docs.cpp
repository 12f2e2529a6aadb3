// The element pages under docs/elements/ against the elements themselves, so
// that the docs cannot drift from the code:
// - properties: what `gst-inspect-1.0 ELEMENT` lists (run as a user runs it,
//   on this build's plugin, in the suites' registry) against the first column
//   of the page's "## Properties" table, both ways, and each default the page
//   gives as one `literal` against the default gst-inspect-1.0 shows;
// - bus messages, which gst-inspect-1.0 does not list: the structure names the
//   plugin's sources can post (every whole string literal of the form
//   "ELEMENT-name" in plugin/, comments left out) against the "### `name`"
//   headings of the page's "## Messages" section, both ways. A static scan
//   finds every message, also those a short run on a fixture never posts (a
//   camera move, a reconfiguration, a broker's connection).

#include "support/gst_build_registry.h"
#include "support/subprocess.h"

#include <gst/gst.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

fs::path g_dir;
[[maybe_unused]] ::testing::Environment* const kEnv =
    ::testing::AddGlobalTestEnvironment(new wellmonitor_test::BuildRegistryEnvironment("element-docs", g_dir));

const std::vector<std::string> kElements = {"wellmonitor", "welloverlay", "wellpublish"};

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

std::string join(const std::set<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out.empty() ? "(none)" : out;
}

std::set<std::string> minus(const std::set<std::string>& a, const std::set<std::string>& b) {
  std::set<std::string> out;
  for (const auto& x : a)
    if (!b.count(x)) out.insert(x);
  return out;
}

// ---- gst-inspect-1.0 ----

// Property name -> the text after "Default:" (empty when it shows none).
using Properties = std::map<std::string, std::string>;

// The "Element Properties:" block of gst-inspect-1.0's output: a property's
// line is "  name<spaces>: blurb", its details follow on deeper-indented lines.
Properties parse_inspect_properties(const std::string& out) {
  Properties props;
  std::istringstream in(out);
  std::string line, current;
  bool in_block = false;
  const std::regex prop_line(R"(^  ([A-Za-z0-9_-]+) *: )");
  while (std::getline(in, line)) {
    if (line.rfind("Element Properties:", 0) == 0) {
      in_block = true;
      continue;
    }
    if (!in_block) continue;
    if (!line.empty() && line[0] != ' ') break;  // the next block
    std::smatch m;
    if (std::regex_search(line, m, prop_line)) {
      current = m[1];
      props[current] = "";
    } else if (!current.empty()) {
      const auto at = line.find("Default: ");
      if (at != std::string::npos) props[current] = trim(line.substr(at + 9));
    }
  }
  return props;
}

Properties inspect(const std::string& element) {
  const auto r =
      wellmonitor_test::run_process(WELLMONITOR_GST_INSPECT, {"--no-colors", element}, g_dir.string());
  EXPECT_EQ(r.exit_code, 0) << "gst-inspect-1.0 " << element << "\n" << r.describe();
  const Properties props = parse_inspect_properties(r.out);
  EXPECT_FALSE(props.empty()) << "no properties read from gst-inspect-1.0 " << element << "\n" << r.out;
  return props;
}

// The same names from GObject, to prove the reading of gst-inspect-1.0's text.
std::set<std::string> gobject_properties(const std::string& element) {
  std::set<std::string> names;
  GstElement* e = gst_element_factory_make(element.c_str(), nullptr);
  if (e == nullptr) return names;
  guint n = 0;
  GParamSpec** specs = g_object_class_list_properties(G_OBJECT_GET_CLASS(e), &n);
  for (guint i = 0; i < n; ++i) names.insert(g_param_spec_get_name(specs[i]));
  g_free(specs);
  gst_object_unref(e);
  return names;
}

// A default as text to compare: an enum's nick ('0, "mqtt"' -> mqtt), a
// string without its quotes.
std::string normalise_default(std::string v) {
  v = trim(v);
  const auto comma = v.find(", \"");
  if (comma != std::string::npos) v = v.substr(comma + 2);
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
  return v;
}

bool same_default(const std::string& documented, const std::string& inspected) {
  const std::string a = normalise_default(documented), b = normalise_default(inspected);
  if (a == b) return true;
  char *end_a = nullptr, *end_b = nullptr;
  const double x = std::strtod(a.c_str(), &end_a), y = std::strtod(b.c_str(), &end_b);
  return !a.empty() && !b.empty() && *end_a == '\0' && *end_b == '\0' && std::abs(x - y) <= 1e-9 * (1 + std::abs(y));
}

// ---- the docs page ----

struct Page {
  bool found = false;
  bool has_properties = false, has_messages = false;
  Properties properties;  // name -> the default cell when it is one `literal`, else ""
  std::set<std::string> messages;
};

std::vector<std::string> cells(const std::string& row) {
  std::vector<std::string> out;
  std::string cell;
  for (size_t i = 1; i < row.size(); ++i) {  // row[0] is the leading '|'
    if (row[i] == '|') {
      out.push_back(trim(cell));
      cell.clear();
    } else {
      cell += row[i];
    }
  }
  return out;
}

std::vector<std::string> backticked(const std::string& s) {
  std::vector<std::string> out;
  static const std::regex code("`([^`]+)`");
  for (std::sregex_iterator it(s.begin(), s.end(), code), end; it != end; ++it) out.push_back((*it)[1]);
  return out;
}

// "## Properties": a table whose first column names each property in
// backticks and whose "default" column holds its default. "## Messages": one
// "### `name`" heading per message.
Page read_page(const fs::path& path) {
  Page page;
  std::ifstream f(path);
  if (!f) return page;
  page.found = true;
  std::string line, section;
  int default_column = -1;
  while (std::getline(f, line)) {
    if (line.rfind("## ", 0) == 0) {
      section = trim(line.substr(3));
      if (section == "Properties") page.has_properties = true;
      if (section == "Messages") page.has_messages = true;
      default_column = -1;
      continue;
    }
    if (section == "Properties" && line.rfind("|", 0) == 0) {
      const auto row = cells(line);
      if (row.empty() || row[0].rfind("---", 0) == 0) continue;
      if (default_column < 0 && backticked(row[0]).empty()) {  // the header row
        for (size_t i = 0; i < row.size(); ++i)
          if (row[i] == "default") default_column = static_cast<int>(i);
        continue;
      }
      for (const auto& name : backticked(row[0])) {
        std::string def;
        if (default_column >= 0 && default_column < static_cast<int>(row.size())) {
          const auto& cell = row[default_column];
          const auto literals = backticked(cell);
          if (literals.size() == 1 && cell == "`" + literals[0] + "`") def = literals[0];
        }
        page.properties[name] = def;
      }
    }
    if (section == "Messages" && line.rfind("### ", 0) == 0)
      for (const auto& name : backticked(line)) page.messages.insert(name);
  }
  return page;
}

fs::path page_path(const std::string& element) {
  return fs::path(WELLMONITOR_SOURCE_DIR) / "docs" / "elements" / (element + ".md");
}

// ---- the messages the sources post ----

// The string literals of a C/C++ source, comments left out.
std::vector<std::string> string_literals(const std::string& src) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < src.size()) {
    if (src.compare(i, 2, "//") == 0) {
      i = src.find('\n', i);
      if (i == std::string::npos) break;
    } else if (src.compare(i, 2, "/*") == 0) {
      i = src.find("*/", i + 2);
      if (i == std::string::npos) break;
      i += 2;
    } else if (src[i] == '\'') {  // a character literal, e.g. '"'
      ++i;
      while (i < src.size() && src[i] != '\'') i += src[i] == '\\' ? 2 : 1;
      ++i;
    } else if (src[i] == '"') {
      std::string lit;
      ++i;
      while (i < src.size() && src[i] != '"') {
        if (src[i] == '\\' && i + 1 < src.size()) lit += src[i++];
        lit += src[i++];
      }
      ++i;
      out.push_back(lit);
    } else {
      ++i;
    }
  }
  return out;
}

// Element -> the message names its sources can post.
std::map<std::string, std::set<std::string>> posted_messages(size_t* files_read) {
  std::map<std::string, std::set<std::string>> by_element;
  const std::regex message_name("^(wellmonitor|welloverlay|wellpublish)-[a-z][a-z0-9-]*$");
  *files_read = 0;
  for (const auto& entry : fs::recursive_directory_iterator(fs::path(WELLMONITOR_SOURCE_DIR) / "plugin")) {
    const auto ext = entry.path().extension().string();
    if (!entry.is_regular_file() || (ext != ".c" && ext != ".cpp" && ext != ".cc" && ext != ".h" && ext != ".hpp"))
      continue;
    ++*files_read;
    for (const auto& lit : string_literals(wellmonitor_test::read_all(entry.path().string()))) {
      std::smatch m;
      if (std::regex_match(lit, m, message_name)) by_element[m[1]].insert(lit);
    }
  }
  return by_element;
}

}  // namespace

TEST(ElementDocs, ReadEveryPropertyOfGstInspectAndEveryMessageOfTheSources) {
  // The readers this suite relies on see what is there, so that an empty
  // reading cannot pass for docs that match.
  for (const auto& element : kElements) {
    std::set<std::string> inspected;
    for (const auto& [name, def] : inspect(element)) inspected.insert(name);
    EXPECT_EQ(inspected, gobject_properties(element)) << element;
  }
  size_t files = 0;
  const auto posted = posted_messages(&files);
  EXPECT_GT(files, 0u);
  ASSERT_TRUE(posted.count("wellmonitor")) << "no wellmonitor-* message found in plugin/";
  EXPECT_TRUE(posted.at("wellmonitor").count("wellmonitor-alarm"));
  EXPECT_TRUE(posted.at("wellmonitor").count("wellmonitor-clear"));
  // A commented-out name is no message.
  EXPECT_EQ(string_literals("a(\"wellmonitor-x\"); // \"wellmonitor-y\"\n/* \"wellmonitor-z\" */ '\"'"),
            std::vector<std::string>{"wellmonitor-x"});
}

TEST(ElementDocs, NameEveryPropertyAndMessageTheElementsHave) {
  size_t files = 0;
  const auto posted = posted_messages(&files);
  for (const auto& element : kElements) {
    SCOPED_TRACE(element);
    const Page page = read_page(page_path(element));
    ASSERT_TRUE(page.found) << page_path(element) << " is missing";
    ASSERT_TRUE(page.has_properties) << page_path(element) << " has no \"## Properties\" section";
    ASSERT_TRUE(page.has_messages) << page_path(element) << " has no \"## Messages\" section";

    std::set<std::string> inspected, documented;
    for (const auto& [name, def] : inspect(element)) inspected.insert(name);
    for (const auto& [name, def] : page.properties) documented.insert(name);
    EXPECT_EQ(minus(inspected, documented), std::set<std::string>{})
        << "properties gst-inspect-1.0 " << element << " lists that " << page_path(element)
        << " does not name in its Properties table: " << join(minus(inspected, documented));
    EXPECT_EQ(minus(documented, inspected), std::set<std::string>{})
        << "properties " << page_path(element) << " names that the element does not have: "
        << join(minus(documented, inspected));

    const std::set<std::string> sent = posted.count(element) ? posted.at(element) : std::set<std::string>{};
    EXPECT_EQ(minus(sent, page.messages), std::set<std::string>{})
        << "messages plugin/ posts (as string literals \"" << element << "-...\") that " << page_path(element)
        << " has no \"### `name`\" heading for under Messages: " << join(minus(sent, page.messages));
    EXPECT_EQ(minus(page.messages, sent), std::set<std::string>{})
        << "messages " << page_path(element) << " documents that no source in plugin/ posts: "
        << join(minus(page.messages, sent));
  }
}

TEST(ElementDocs, GiveTheDefaultsGstInspectShows) {
  for (const auto& element : kElements) {
    SCOPED_TRACE(element);
    const Page page = read_page(page_path(element));
    ASSERT_TRUE(page.found) << page_path(element) << " is missing";
    const Properties inspected = inspect(element);
    size_t compared = 0;
    for (const auto& [name, documented] : page.properties) {
      if (documented.empty() || !inspected.count(name)) continue;  // prose, or reported above
      ++compared;
      EXPECT_TRUE(same_default(documented, inspected.at(name)))
          << page_path(element) << ": " << name << " defaults to `" << documented << "` there; gst-inspect-1.0 shows "
          << inspected.at(name);
    }
    EXPECT_GT(compared, 0u) << "no default given as one `literal` in " << page_path(element);
  }
}
