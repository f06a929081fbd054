// COMMAND (COUNT INFO DOCS LIST GETKEYS HELP) and the docs derived from the command table.
#include "commands/command_docs.h"

#include <fmt/format.h>

#include <algorithm>

#include "commands/commands.h"
#include "common/strings.h"
#include "engine/acl.h"
#include "engine/command_context.h"
#include "engine/engine.h"

namespace tidekv::commands {

// Finds a command clients can call (not an internal one) by name.
const CommandSpec* FindListed(const CommandTable& table, std::string_view name) {
  const CommandSpec* c = table.Find(name);
  return c != nullptr && HasFlag(c->flags, CommandFlag::kInternal) ? nullptr : c;
}

const CommandSpec* FindAny(const CommandTable& table, std::string_view name) {
  size_t bar = name.find('|');
  if (bar == std::string_view::npos) return FindListed(table, name);
  const CommandSpec* parent = FindListed(table, name.substr(0, bar));
  return parent == nullptr ? nullptr : parent->FindSubcommand(name.substr(bar + 1));
}

namespace {

using engine::AclCategories;
using F = CommandFlag;

// ---- syntax parsing ------------------------------------------------------------------

std::vector<std::string_view> Tokenize(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    char c = s[i];
    if (c == ' ') {
      i++;
    } else if (c == '[' || c == ']' || c == '<' || c == '>' || c == '|') {
      out.push_back(s.substr(i, 1));
      i++;
    } else {
      size_t j = i;
      while (j < s.size() && std::string_view(" []<>|").find(s[j]) == std::string_view::npos) j++;
      out.push_back(s.substr(i, j - i));
      i = j;
    }
  }
  return out;
}

bool IsKeyword(std::string_view w) {
  bool letter = false;
  for (char c : w) {
    if (c >= 'a' && c <= 'z') return false;
    if (c >= 'A' && c <= 'Z') letter = true;
  }
  return letter || (!w.empty() && w.find_first_not_of("0123456789") == std::string_view::npos);
}

std::string TypeOfName(std::string_view name) {
  static constexpr std::string_view kIntegers[] = {
      "seconds",       "milliseconds", "count",          "offset",    "start",
      "end",           "index",        "numkeys",        "increment", "decrement",
      "timeout",       "db",           "destination-db", "bit",       "len",
      "min-match-len", "maxage",       "client-id",      "protover",  "index1",
      "index2",        "numreplicas",  "value-int",      "cursor",    "maxlen"};
  if (name.find("key") != std::string_view::npos || name == "source" || name == "destination") {
    return "key";
  }
  if (name == "pattern") return "pattern";
  if (name.starts_with("unix-time")) return "unix-time";
  for (std::string_view n : kIntegers) {
    if (name == n) return "integer";
  }
  return "string";
}

// Whether b repeats a: "[key ...]" after "key", or "[client-id ...]" after "ID client-id"
// (the repetition leaves out the keyword).
bool SameShape(const DocArgument& a, const DocArgument& b) {
  return a.name == b.name && a.type == b.type && (b.token.empty() || a.token == b.token);
}

class SyntaxParser {
 public:
  explicit SyntaxParser(std::string_view s) : tokens_(Tokenize(s)) {}

  std::vector<DocArgument> ParseAll() {
    std::vector<std::vector<DocArgument>> alts{ParseSequence()};
    while (Peek() == "|") {
      pos_++;
      alts.push_back(ParseSequence());
    }
    if (alts.size() == 1) return std::move(alts[0]);
    return {MakeOneOf(std::move(alts))};
  }

 private:
  std::string_view Peek() const { return pos_ < tokens_.size() ? tokens_[pos_] : ""; }

  std::vector<DocArgument> ParseSequence() {
    std::vector<DocArgument> items;
    while (pos_ < tokens_.size() && Peek() != "]" && Peek() != ">" && Peek() != "|") {
      std::string_view t = tokens_[pos_];
      if (t == "[" || t == "<") {
        // "[...]" is an optional group, "<...>" a required one (Redis's docs notation).
        const bool optional = t == "[";
        pos_++;
        std::vector<std::vector<DocArgument>> alts{ParseSequence()};
        while (Peek() == "|") {
          pos_++;
          alts.push_back(ParseSequence());
        }
        if (Peek() == "]" || Peek() == ">") pos_++;
        // "[key ...]" or "[key value ...]": the group repeats what precedes it.
        if (alts.size() == 1 && repeat_marker_) {
          repeat_marker_ = false;
          size_t n = alts[0].size();
          if (n > 0 && n <= items.size() &&
              std::equal(items.end() - static_cast<long>(n), items.end(), alts[0].begin(),
                         SameShape)) {
            if (n == 1) {
              items.back().multiple = true;
            } else {
              DocArgument block{.name = "data", .type = "block", .multiple = true};
              block.arguments.assign(items.end() - static_cast<long>(n), items.end());
              items.erase(items.end() - static_cast<long>(n), items.end());
              items.push_back(std::move(block));
            }
            continue;
          }
        }
        DocArgument group =
            alts.size() > 1 ? MakeOneOf(std::move(alts)) : MakeBlock(std::move(alts[0]));
        group.optional = group.optional || optional;
        items.push_back(std::move(group));
      } else if (t == "...") {
        pos_++;
        repeat_marker_ = true;
      } else if (IsKeyword(t)) {
        pos_++;
        DocArgument a{.name = AsciiLower(t), .type = "pure-token", .token = std::string(t)};
        // A keyword directly followed by a value names that value ("EX seconds").
        if (pos_ < tokens_.size() && !IsKeyword(Peek()) &&
            std::string_view("[]<>|").find(Peek()[0]) == std::string_view::npos &&
            Peek() != "...") {
          a.name = std::string(tokens_[pos_++]);
          a.type = TypeOfName(a.name);
        }
        items.push_back(std::move(a));
      } else {
        pos_++;
        items.push_back({.name = std::string(t), .type = TypeOfName(t)});
      }
    }
    return items;
  }

  static DocArgument MakeBlock(std::vector<DocArgument> items) {
    if (items.size() == 1) return std::move(items[0]);
    DocArgument block{.name = items.empty() ? "block" : items[0].name, .type = "block"};
    block.arguments = std::move(items);
    return block;
  }

  static DocArgument MakeOneOf(std::vector<std::vector<DocArgument>> alts) {
    DocArgument oneof{.type = "oneof"};
    for (auto& alt : alts) oneof.arguments.push_back(MakeBlock(std::move(alt)));
    std::string name;
    for (const auto& a : oneof.arguments) {
      if (!name.empty()) name += "-";
      name += a.name;
    }
    oneof.name = name.size() > 40 ? "option" : name;
    return oneof;
  }

  std::vector<std::string_view> tokens_;
  size_t pos_ = 0;
  bool repeat_marker_ = false;
};

// ---- replies -------------------------------------------------------------------------

void ReplyArgument(proto::ReplyBuilder& r, const DocArgument& a) {
  size_t fields = 2 + (a.token.empty() ? 0 : 1) + ((a.optional || a.multiple) ? 1 : 0) +
                  (a.arguments.empty() ? 0 : 1);
  r.Map(fields);
  r.Bulk("name");
  r.Bulk(a.name);
  r.Bulk("type");
  r.Bulk(a.type);
  if (!a.token.empty()) {
    r.Bulk("token");
    r.Bulk(a.token);
  }
  if (a.optional || a.multiple) {
    r.Bulk("flags");
    r.Set((a.optional ? 1 : 0) + (a.multiple ? 1 : 0));
    if (a.optional) r.Simple("optional");
    if (a.multiple) r.Simple("multiple");
  }
  if (!a.arguments.empty()) {
    r.Bulk("arguments");
    r.Array(a.arguments.size());
    for (const auto& child : a.arguments) ReplyArgument(r, child);
  }
}

void ReplyDocs(proto::ReplyBuilder& r, const CommandSpec& c) {
  std::vector<DocArgument> args = ParseSyntax(c.syntax);
  size_t fields = 4 + (args.empty() ? 0 : 1) + (c.is_container() ? 1 : 0);
  r.Map(fields);
  r.Bulk("summary");
  r.Bulk(c.summary);
  r.Bulk("since");
  r.Bulk(c.since);
  r.Bulk("group");
  r.Bulk(c.group);
  r.Bulk("complexity");
  r.Bulk(c.complexity);
  if (!args.empty()) {
    r.Bulk("arguments");
    r.Array(args.size());
    for (const auto& a : args) ReplyArgument(r, a);
  }
  if (c.is_container()) {
    r.Bulk("subcommands");
    r.Map(c.subcommands.size());
    for (const auto& sub : c.subcommands) {
      r.Bulk(sub->name);
      ReplyDocs(r, *sub);
    }
  }
}

void ReplyInfo(proto::ReplyBuilder& r, const CommandSpec& c) {
  r.Array(10);
  r.Bulk(c.name);
  r.Integer(c.arity);
  auto flags = FlagNames(c);
  r.Set(flags.size());
  for (auto f : flags) r.Simple(f);
  r.Integer(c.first_key);
  r.Integer(c.last_key);
  r.Integer(c.key_step);
  auto cats = AclCategories(c);
  r.Set(cats.size());
  for (auto cat : cats) r.Simple(cat);
  r.Array(0);  // tips
  if (c.first_key > 0) {
    // One key spec per flag group: group i starts at key i and covers one key, the last
    // group every key from there to lastkey (relative to its start, negative counts from the
    // end), stepping by keystep.
    const size_t groups = c.key_flag_sets.size();
    r.Array(groups);
    for (size_t g = 0; g < groups; g++) {
      const int index = c.first_key + static_cast<int>(g) * std::max(1, c.key_step);
      const bool last = g + 1 == groups;
      const bool keyword = last && g > 0 && !c.key_keyword.empty();
      const int lastkey = !last                       ? 0
                          : keyword || c.last_key < 0 ? std::min(c.last_key, -1)
                                                      : c.last_key - index;
      const std::vector<std::string_view> names = engine::KeyFlagNames(c.key_flag_sets[g]);
      r.Map(3);
      r.Bulk("flags");
      r.Set(names.size());
      for (std::string_view name : names) r.Simple(name);
      r.Bulk("begin_search");
      r.Map(2);
      r.Bulk("type");
      if (keyword) {
        r.Bulk("keyword");
        r.Bulk("spec");
        r.Map(2);
        r.Bulk("keyword");
        r.Bulk(c.key_keyword);
        r.Bulk("startfrom");
        r.Integer(-2);
      } else {
        r.Bulk("index");
        r.Bulk("spec");
        r.Map(1);
        r.Bulk("index");
        r.Integer(index);
      }
      r.Bulk("find_keys");
      r.Map(2);
      r.Bulk("type");
      r.Bulk("range");
      r.Bulk("spec");
      r.Map(3);
      r.Bulk("lastkey");
      r.Integer(lastkey);
      r.Bulk("keystep");
      r.Integer(c.key_step);
      r.Bulk("limit");
      r.Integer(0);
    }
  } else {
    r.Array(0);
  }
  r.Array(c.subcommands.size());
  for (const auto& sub : c.subcommands) ReplyInfo(r, *sub);
}

void Command(CommandContext& ctx) {
  const auto& all = ctx.engine.commands().all();
  ctx.reply.Array(all.size());
  for (const CommandSpec* c : all) ReplyInfo(ctx.reply, *c);
}

void CommandCount(CommandContext& ctx) {
  ctx.reply.Integer(static_cast<int64_t>(ctx.engine.commands().size()));
}

void CommandInfo(CommandContext& ctx) {
  if (ctx.argc() == 2) return Command(ctx);
  ctx.reply.Array(ctx.argc() - 2);
  for (size_t i = 2; i < ctx.argc(); i++) {
    const CommandSpec* c = FindAny(ctx.engine.commands(), ctx.arg(i));
    if (c == nullptr) {
      ctx.reply.Null();  // Redis: $-1 in RESP2 (not *-1), _ in RESP3
    } else {
      ReplyInfo(ctx.reply, *c);
    }
  }
}

void CommandDocs(CommandContext& ctx) {
  std::vector<const CommandSpec*> specs;
  if (ctx.argc() == 2) {
    specs = ctx.engine.commands().all();
  } else {
    for (size_t i = 2; i < ctx.argc(); i++) {
      if (const CommandSpec* c = FindAny(ctx.engine.commands(), ctx.arg(i))) specs.push_back(c);
    }
  }
  ctx.reply.Map(specs.size());
  for (const CommandSpec* c : specs) {
    ctx.reply.Bulk(c->name);
    ReplyDocs(ctx.reply, *c);
  }
}

void CommandList(CommandContext& ctx) {
  std::string_view pattern, category;
  if (ctx.argc() == 5 && ctx.ArgIs(2, "FILTERBY")) {
    if (ctx.ArgIs(3, "PATTERN")) {
      pattern = ctx.arg(4);
    } else if (ctx.ArgIs(3, "ACLCAT")) {
      category = ctx.arg(4);
    } else if (!ctx.ArgIs(3, "MODULE")) {
      return ctx.SyntaxError();
    } else {
      return ctx.reply.Array(0);  // no modules
    }
  } else if (ctx.argc() != 2) {
    return ctx.SyntaxError();
  }
  std::vector<std::string_view> names;
  auto consider = [&](const CommandSpec& c) {
    if (!pattern.empty() && !GlobMatch(pattern, c.name, true)) return;
    if (!category.empty()) {
      bool in = false;
      for (auto cat : AclCategories(c)) in |= EqualsIgnoreCase(cat.substr(1), category);
      if (!in) return;
    }
    names.push_back(c.name);
  };
  for (const CommandSpec* c : ctx.engine.commands().all()) {
    consider(*c);
    for (const auto& sub : c->subcommands) consider(*sub);
  }
  ctx.reply.Array(names.size());
  for (auto n : names) ctx.reply.Bulk(n);
}

// Redis's no_mandatory_keys commands: EVAL and FCALL in all their forms, whose numkeys may
// be 0.
bool NoMandatoryKeys(const CommandSpec& c) {
  static constexpr std::string_view kNames[] = {"eval",       "evalsha", "eval_ro",
                                                "evalsha_ro", "fcall",   "fcall_ro"};
  return std::find(std::begin(kNames), std::end(kNames), c.name) != std::end(kNames);
}

// COMMAND GETKEYS / GETKEYSANDFLAGS: the row argv runs and the positions of its keys, or
// nullptr after replying Redis's error.
const CommandSpec* KeysOf(CommandContext& ctx, std::span<const std::string_view> args,
                          std::vector<size_t>* keys) {
  const CommandSpec* c = FindListed(ctx.engine.commands(), args[0]);
  if (c == nullptr) {
    ctx.Error("ERR Invalid command specified");
    return nullptr;
  }
  if (c->is_container() && args.size() > 1) {
    if (const CommandSpec* sub = c->FindSubcommand(args[1])) c = sub;
  }
  // Redis's order: a keyless command is reported as such whatever its arguments.
  if (!c->has_keys()) {
    ctx.Error("ERR The command has no key arguments");
    return nullptr;
  }
  const bool arity_ok = c->arity > 0 ? args.size() == static_cast<size_t>(c->arity)
                                     : args.size() >= static_cast<size_t>(-c->arity);
  if (!arity_ok) {
    ctx.Error("ERR Invalid number of arguments specified for command");
    return nullptr;
  }
  *keys = c->KeyPositions(args);
  // Arguments that name no key are invalid (MIGRATE ... KEYS with a key, ZUNION 0), except
  // for the commands that may name none.
  if (keys->empty() && !NoMandatoryKeys(*c)) {
    ctx.Error("ERR Invalid arguments specified for command");
    return nullptr;
  }
  return c;
}

void CommandGetKeys(CommandContext& ctx) {
  std::span<const std::string_view> args = ctx.argv.subspan(2);
  std::vector<size_t> keys;
  if (KeysOf(ctx, args, &keys) == nullptr) return;
  ctx.reply.Array(keys.size());
  for (size_t i : keys) ctx.reply.Bulk(args[i]);
}

void CommandGetKeysAndFlags(CommandContext& ctx) {
  std::span<const std::string_view> args = ctx.argv.subspan(2);
  std::vector<size_t> keys;
  const CommandSpec* c = KeysOf(ctx, args, &keys);
  if (c == nullptr) return;
  ctx.reply.Array(keys.size());
  for (size_t i = 0; i < keys.size(); i++) {
    ctx.reply.Array(2);
    ctx.reply.Bulk(args[keys[i]]);
    // The flags for these very arguments: "variable" is resolved, and the keys of an
    // "incomplete" spec were found by the command's own walk (find_keys), as Redis's getkeys
    // procedures do, so neither is reported.
    const uint32_t flags = c->KeyFlagsAt(args, i, keys[i]) &
                           ~(engine::key_flag::kVariableFlags | engine::key_flag::kIncomplete);
    const std::vector<std::string_view> names = engine::KeyFlagNames(flags);
    ctx.reply.Set(names.size());
    for (std::string_view name : names) ctx.reply.Simple(name);
  }
}

void CommandHelp(CommandContext& ctx) {
  static constexpr std::string_view kLines[] = {
      "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "(no subcommand)",
      "    Return details about all commands.",
      "COUNT",
      "    Return the total number of commands in this server.",
      "LIST [FILTERBY (MODULE <module-name>|ACLCAT <category>|PATTERN <pattern>)]",
      "    Return a list of all commands in this server.",
      "INFO [<command-name> ...]",
      "    Return details about multiple commands.",
      "DOCS [<command-name> ...]",
      "    Return documentation details about multiple commands.",
      "GETKEYS <full-command>",
      "    Return the keys from a full command.",
      "GETKEYSANDFLAGS <full-command>",
      "    Return the keys and the access flags from a full command.",
  };
  ReplyHelp(ctx, kLines);
}

std::string SyntaxLine(const CommandSpec& c) {
  std::string name = c.name;
  for (char& ch : name)
    ch = ch == '|' ? ' ' : static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return c.syntax.empty() ? name : name + " " + std::string(c.syntax);
}

}  // namespace

std::vector<DocArgument> ParseSyntax(std::string_view syntax) {
  return SyntaxParser(syntax).ParseAll();
}

std::vector<std::string_view> FlagNames(const CommandSpec& c) {
  static constexpr std::pair<CommandFlag, std::string_view> kNames[] = {
      {F::kWrite, "write"},
      {F::kReadOnly, "readonly"},
      {F::kDenyOom, "denyoom"},
      {F::kAdmin, "admin"},
      {F::kNoAuth, "no_auth"},
      {F::kFast, "fast"},
      {F::kLoading, "loading"},
      {F::kStale, "stale"},
      {F::kNoMonitor, "skip_monitor"},
      {F::kProtected, "protected"},
      {F::kNoMulti, "no_multi"},
      {F::kNoScript, "noscript"},
      {F::kSkipSlowlog, "skip_slowlog"},
      {F::kPubSub, "pubsub"}};  // Redis hides may_replicate from COMMAND INFO
  std::vector<std::string_view> out;
  for (const auto& [flag, name] : kNames) {
    if (HasFlag(c.flags, flag)) out.push_back(name);
  }
  if (NoMandatoryKeys(c)) out.push_back("no_mandatory_keys");
  if (c.find_keys != nullptr) out.push_back("movablekeys");
  return out;
}

std::string RenderCommandsMarkdown(const CommandTable& table) {
  std::string out =
      "# Commands\n\n"
      "Generated from the command table (`commands/*.cc`) by `tidekv-docs commands`;\n"
      "a unit test fails when this file and the table disagree. Semantics follow Redis 7\n"
      "unless noted.\n";
  std::vector<std::string_view> groups;
  for (const CommandSpec* c : table.all()) {
    if (std::find(groups.begin(), groups.end(), c->group) == groups.end()) {
      groups.push_back(c->group);
    }
  }
  auto row = [&out](const CommandSpec& c) {
    std::string flags;
    for (auto f : FlagNames(c)) flags += flags.empty() ? std::string(f) : ", " + std::string(f);
    out += fmt::format("| `{}` | {} | {} | {} |\n", SyntaxLine(c), c.summary,
                       c.complexity.empty() ? "" : c.complexity, flags);
  };
  for (std::string_view group : groups) {
    out += fmt::format("\n## {}\n\n| syntax | summary | complexity | flags |\n|---|---|---|---|\n",
                       group);
    for (const CommandSpec* c : table.all()) {
      if (c->group != group) continue;
      if (c->is_container()) {
        for (const auto& sub : c->subcommands) row(*sub);
      } else {
        row(*c);
      }
    }
  }
  return out;
}

void RegisterCommandCommands(CommandTable& table) {
  CommandSpec& command = table.Add({.name = "command",
                                    .arity = -1,
                                    .flags = F::kStale | F::kLoading | F::kVolatileReply,
                                    .handler = Command,
                                    .group = "server",
                                    .since = "2.8.13",
                                    .summary = "Returns detailed information about all commands.",
                                    .complexity = "O(N) where N is the total number of commands",
                                    .syntax = ""});
  table.AddSubcommand(command, {.name = "count",
                                .arity = 2,
                                .flags = F::kStale | F::kLoading,
                                .handler = CommandCount,
                                .since = "2.8.13",
                                .summary = "Returns a count of commands.",
                                .complexity = "O(1)",
                                .syntax = ""});
  table.AddSubcommand(command,
                      {.name = "info",
                       .arity = -2,
                       .flags = F::kStale | F::kLoading | F::kVolatileReply,
                       .handler = CommandInfo,
                       .since = "2.8.13",
                       .summary = "Returns information about one, multiple or all commands.",
                       .complexity = "O(N) where N is the number of commands to look up",
                       .syntax = "[command-name [command-name ...]]"});
  table.AddSubcommand(
      command, {.name = "docs",
                .arity = -2,
                .flags = F::kStale | F::kLoading,
                .handler = CommandDocs,
                .since = "7.0.0",
                .summary = "Returns documentary information about one, multiple or all commands.",
                .complexity = "O(N) where N is the number of commands to look up",
                .syntax = "[command-name [command-name ...]]"});
  table.AddSubcommand(
      command, {.name = "list",
                .arity = -2,
                .flags = F::kStale | F::kLoading,
                .handler = CommandList,
                .since = "7.0.0",
                .summary = "Returns a list of command names.",
                .complexity = "O(N) where N is the total number of Redis commands",
                .syntax = "[FILTERBY MODULE module-name | ACLCAT category | PATTERN pattern]"});
  table.AddSubcommand(command,
                      {.name = "getkeys",
                       .arity = -4,  // COMMAND GETKEYS <command> <arg>: one argument at least
                       .flags = F::kStale | F::kLoading,
                       .handler = CommandGetKeys,
                       .since = "2.8.13",
                       .summary = "Extracts the key names from an arbitrary command.",
                       .complexity = "O(N) where N is the number of arguments to the command",
                       .syntax = "command [arg [arg ...]]"});
  table.AddSubcommand(command,
                      {.name = "getkeysandflags",
                       .arity = -4,
                       .flags = F::kStale | F::kLoading,
                       .handler = CommandGetKeysAndFlags,
                       .since = "7.0.0",
                       .summary = "Extracts the key names and access flags for an arbitrary "
                                  "command.",
                       .complexity = "O(N) where N is the number of arguments to the command",
                       .syntax = "command [arg [arg ...]]"});
  table.AddSubcommand(command, {.name = "help",
                                .arity = 2,
                                .flags = F::kStale | F::kLoading,
                                .handler = CommandHelp,
                                .since = "5.0.0",
                                .summary = "Returns helpful text about the different subcommands.",
                                .complexity = "O(1)",
                                .syntax = ""});
}

}  // namespace tidekv::commands
