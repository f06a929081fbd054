// Command documentation derived from the command table: the argument trees COMMAND DOCS
// serves (built from each row's `syntax` string) and the Markdown of docs/commands.md.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "commands/commands.h"
#include "engine/command_table.h"

namespace tidekv::commands {

// One argument of a command, as COMMAND DOCS describes it.
struct DocArgument {
  std::string name;
  std::string type;   // key, string, integer, double, pattern, unix-time, pure-token, oneof, block
  std::string token;  // the keyword before the value ("EX"), or the keyword itself (pure-token)
  bool optional = false;
  bool multiple = false;
  std::vector<DocArgument> arguments;  // for oneof and block
};

// Parses Redis's docs notation, e.g. "key value [NX | XX] [EX seconds | KEEPTTL]" or
// "key [key ...]". Never fails: unbalanced brackets end the current group.
std::vector<DocArgument> ParseSyntax(std::string_view syntax);

// docs/commands.md: every command and subcommand with syntax, summary, complexity, flags.
std::string RenderCommandsMarkdown(const CommandTable& table);

// Finds a command clients can call (not an internal one) by name.
const CommandSpec* FindListed(const CommandTable& table, std::string_view name);
// Finds a command or a "container|sub" name, as COMMAND INFO and LATENCY HISTOGRAM take them.
const CommandSpec* FindAny(const CommandTable& table, std::string_view name);

// The flag names COMMAND INFO reports for a command ("write", "readonly", "denyoom", ...,
// and "movablekeys" when its key positions depend on its arguments).
std::vector<std::string_view> FlagNames(const CommandSpec& c);

}  // namespace tidekv::commands
