// A small check of a JSON message against one of pipelines/schemas/*.json, for
// the suites that publish messages: every required field is there (and those a
// matching "if" of "allOf" requires), each field the message has is one the
// schema names, with one of its types, its "const" or one of its "enum"
// values. Not a full JSON Schema validator: what our schemas use.
#pragma once

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <string>
#include <vector>

namespace wellmonitor_test {

inline nlohmann::json read_schema(const std::string& name) {
  const std::string path = std::string(WELLMONITOR_SOURCE_DIR) + "/pipelines/schemas/" + name;
  std::ifstream f(path);
  EXPECT_TRUE(f) << path;
  return f ? nlohmann::json::parse(f) : nlohmann::json::object();
}

inline bool has_type(const nlohmann::json& v, const std::string& t) {
  return (t == "string" && v.is_string()) || (t == "number" && v.is_number()) ||
         (t == "integer" && v.is_number_integer()) || (t == "null" && v.is_null()) ||
         (t == "object" && v.is_object()) || (t == "boolean" && v.is_boolean()) || (t == "array" && v.is_array());
}

// Whether `message` holds each of `properties`' "const" values (an "if").
inline bool matches_if(const nlohmann::json& message, const nlohmann::json& condition) {
  const nlohmann::json properties = condition.value("properties", nlohmann::json::object());
  for (const auto& [key, rule] : properties.items())
    if (!message.contains(key) || (rule.contains("const") && message[key] != rule["const"])) return false;
  return true;
}

// Adds a failure for each way `message` breaks the schema file `name`.
inline void expect_matches_schema(const nlohmann::json& message, const std::string& name) {
  const nlohmann::json schema = read_schema(name);
  const nlohmann::json listed = schema.value("required", nlohmann::json::array());
  std::vector<nlohmann::json> required(listed.begin(), listed.end());
  const nlohmann::json all_of = schema.value("allOf", nlohmann::json::array());
  for (const auto& rule : all_of)
    if (rule.contains("if") && matches_if(message, rule["if"])) {
      const nlohmann::json more = rule["then"].value("required", nlohmann::json::array());
      required.insert(required.end(), more.begin(), more.end());
    }
  for (const auto& r : required)
    EXPECT_TRUE(message.contains(r.get<std::string>()))
        << name << ": missing '" << r.get<std::string>() << "' in " << message.dump().substr(0, 300);
  const nlohmann::json& props = schema.at("properties");
  for (const auto& [key, value] : message.items()) {
    if (!props.contains(key)) {
      ADD_FAILURE() << name << ": '" << key << "' is not in the schema";
      continue;
    }
    const nlohmann::json& p = props[key];
    if (p.contains("const")) {
      EXPECT_EQ(value, p["const"]) << name << ": " << key;
    }
    if (p.contains("enum")) {
      bool listed = false;
      for (const auto& e : p["enum"]) listed = listed || e == value;
      EXPECT_TRUE(listed) << name << ": " << key << " = " << value.dump();
    }
    if (p.contains("type")) {
      bool ok = false;
      const nlohmann::json types = p["type"].is_array() ? p["type"] : nlohmann::json::array({p["type"]});
      for (const auto& t : types)
        ok = ok || has_type(value, t.get<std::string>());
      EXPECT_TRUE(ok) << name << ": " << key << " = " << value.dump().substr(0, 100);
    }
  }
}

}  // namespace wellmonitor_test
