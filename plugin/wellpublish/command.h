/* An operator's command, as it comes in on PREFIX/CAMERA/command
 * (pipelines/schemas/command.schema.json): shelve a well, put it back
 * (unshelve), or acknowledge its alarm. Parsing only: what a command does is
 * the session's (shelving goes up to wellmonitor) and the wells' state's
 * (acknowledgement). */
#pragma once

#include <string>

namespace wellpublish {

struct Command
{
  enum class Verb { kShelve, kUnshelve, kAck };
  Verb verb = Verb::kShelve;
  std::string well;
  std::string event_id;         /* ack: the alarm's ("": the one in progress) */
  std::string by;               /* who ("": unknown) */
  std::string note;             /* why ("": none) */
};

/* "shelve", "unshelve", "ack". */
const char *command_verb_name (Command::Verb verb);

/* Parses a command's JSON: {"command": "shelve" | "unshelve" | "ack",
 * "well": ID, optional "event_id", "by", "note" (strings)}. Throws
 * std::invalid_argument with one line saying what is wrong. */
Command parse_command (const std::string & payload);

}  // namespace wellpublish
