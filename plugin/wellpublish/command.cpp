/* Operators' commands: parsing. */

#include "command.h"

#include <nlohmann/json.hpp>

#include <stdexcept>

namespace wellpublish {

const char *
command_verb_name (Command::Verb verb)
{
  switch (verb) {
    case Command::Verb::kShelve:
      return "shelve";
    case Command::Verb::kUnshelve:
      return "unshelve";
    case Command::Verb::kAck:
      return "ack";
  }
  return "?";
}

namespace {

/* Longest id, name or note a command may carry. */
constexpr size_t kMaxField = 256;

std::string
text_field (const nlohmann::json & j, const char *name, bool required)
{
  if (!j.contains (name)) {
    if (required)
      throw std::invalid_argument (std::string ("the command has no \"") +
          name + "\"");
    return "";
  }
  const nlohmann::json & v = j.at (name);
  if (!v.is_string ())
    throw std::invalid_argument (std::string ("\"") + name + "\" must be a "
        "string");
  const std::string s = v.get<std::string> ();
  if (s.size () > kMaxField)
    throw std::invalid_argument (std::string ("\"") + name + "\" is longer "
        "than " + std::to_string (kMaxField) + " characters");
  if (required && s.empty ())
    throw std::invalid_argument (std::string ("\"") + name + "\" is empty");
  return s;
}

}  // namespace

Command
parse_command (const std::string & payload)
{
  const nlohmann::json j = nlohmann::json::parse (payload, nullptr, false);
  if (j.is_discarded () || !j.is_object ())
    throw std::invalid_argument ("a command is a JSON object such as "
        "{\"command\": \"shelve\", \"well\": \"r1w4\", \"by\": \"NAME\"}");
  Command c;
  const std::string verb = text_field (j, "command", true);
  if (verb == "shelve")
    c.verb = Command::Verb::kShelve;
  else if (verb == "unshelve")
    c.verb = Command::Verb::kUnshelve;
  else if (verb == "ack")
    c.verb = Command::Verb::kAck;
  else
    throw std::invalid_argument ("unknown command '" + verb + "' (shelve, "
        "unshelve or ack)");
  c.well = text_field (j, "well", true);
  c.event_id = text_field (j, "event_id", false);
  c.by = text_field (j, "by", false);
  c.note = text_field (j, "note", false);
  for (const auto & [key, value] : j.items ())
    if (key != "command" && key != "well" && key != "event_id" && key != "by"
        && key != "note" && key != "version")
      throw std::invalid_argument ("unknown field \"" + key + "\" in the "
          "command");
  return c;
}

}  // namespace wellpublish
