// TOML loading and the two renderers (the TOML file and the Markdown reference).
//
// toml++ is built with exceptions in Debian: toml::parse throws toml::parse_error. It is
// caught here and turned into a Status, so no exception leaves this module.

#include "config/config.h"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "config/internal.h"

namespace tidekv::config {
namespace {

using internal::Section;

// "file:12: " when the line is known, "file: " otherwise.
std::string Where(std::string_view source_name, const toml::source_region& region) {
  if (region.begin.line == 0) return fmt::format("{}: ", source_name);
  return fmt::format("{}:{}: ", source_name, region.begin.line);
}

// What a node is, for "expected X, got Y" messages: "a string ("abc")", "a table".
std::string Describe(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string:
      return fmt::format("a string (\"{}\")", internal::Printable(*node.value<std::string>()));
    case toml::node_type::integer:
      return fmt::format("an integer ({})", *node.value<int64_t>());
    case toml::node_type::floating_point: {
      // Shown as TOML writes floats, so "1.0" does not read back as the integer 1.
      std::string text = fmt::format("{}", *node.value<double>());
      if (text.find_first_of(".en") == std::string::npos) text += ".0";
      return fmt::format("a float ({})", text);
    }
    case toml::node_type::boolean:
      return fmt::format("a boolean ({})", *node.value<bool>() ? "true" : "false");
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

std::string_view Expected(OptionType type) {
  switch (type) {
    case OptionType::kBool:
      return "a boolean (true or false)";
    case OptionType::kInt:
      return "an integer";
    case OptionType::kBytes:
      return "an integer or a size string such as \"512mb\"";
    case OptionType::kString:
      return "a string";
    case OptionType::kEnum:
      return "a string";
  }
  return "?";
}

std::string DidYouMean(std::string_view suggestion) {
  return suggestion.empty() ? std::string() : fmt::format(" (did you mean {}?)", suggestion);
}

// Walks the parsed document and applies it to a Config. toml++ tables iterate in key order,
// not file order, so every problem is recorded and the one earliest in the file is reported:
// that is the one a person reading top to bottom expects to fix first.
class TomlLoader {
 public:
  TomlLoader(std::string_view source_name, Config* config)
      : source_name_(source_name), config_(config) {}

  void Load(const toml::table& root) {
    for (const auto& [key, node] : root) LoadSection(key, node);
  }

  // The earliest error, or Ok.
  Status status() const {
    if (!error_) return Status::Ok();
    return Status::InvalidArgument(error_->message);
  }

 private:
  struct Error {
    uint32_t line;
    std::string message;
  };

  void Fail(const toml::source_region& region, std::string_view key, std::string_view reason) {
    const uint32_t line = region.begin.line;
    if (error_ && error_->line <= line) return;
    // Keys may be quoted TOML strings holding anything, so they are made printable too.
    error_ = Error{line, fmt::format("{}{}: {}", Where(source_name_, region),
                                     internal::Printable(key), reason)};
  }

  void LoadSection(const toml::key& key, const toml::node& node) {
    const std::string_view name = key.str();
    const Section* section = internal::FindSection(name);
    if (section == nullptr) {
      if (!node.is_table()) {
        // A bare "port = 1" above every header.
        Fail(key.source(), name,
             "options belong in a section such as [server]" +
                 DidYouMean(internal::SuggestOptionKey(name)));
        return;
      }
      std::vector<std::string_view> names;
      for (const Section& s : internal::Sections()) names.push_back(s.name);
      const std::string_view near = internal::ClosestMatch(name, names);
      Fail(key.source(), name,
           "unknown section" + (near.empty() ? "" : fmt::format(" (did you mean [{}]?)", near)));
      return;
    }
    const toml::table* table = node.as_table();
    if (table == nullptr) {
      Fail(key.source(), name,
           fmt::format("must be a section ([{}]), not {}", name, Describe(node)));
      return;
    }
    for (const auto& [option_key, value] : *table) {
      const std::string full_key = fmt::format("{}.{}", name, option_key.str());
      if (section->reserved) {
        Fail(option_key.source(), full_key,
             fmt::format("section [{}] is reserved for a later version and must be empty", name));
        continue;
      }
      const OptionSpec* option = FindExact(full_key);
      if (option == nullptr) {
        Fail(option_key.source(), full_key,
             "unknown option" + DidYouMean(internal::SuggestOptionKey(full_key)));
        continue;
      }
      LoadOption(*option, value);
    }
  }

  // TOML keys are case-sensitive, so the file must spell the key exactly (FindOption's
  // case-insensitive match is for CONFIG GET/SET; a near miss is offered as a suggestion).
  static const OptionSpec* FindExact(std::string_view key) {
    for (const OptionSpec& option : Options()) {
      if (option.key == key) return &option;
    }
    return nullptr;
  }

  void LoadOption(const OptionSpec& option, const toml::node& node) {
    Status status;
    switch (option.type) {
      case OptionType::kBool:
        if (!node.is_boolean()) return WrongType(option, node);
        config_->*std::get<bool Config::*>(option.field) = *node.value<bool>();
        return;
      case OptionType::kInt:
        if (!node.is_integer()) return WrongType(option, node);
        status = internal::SetInteger(config_, option, *node.value<int64_t>(), {});
        break;
      case OptionType::kBytes:
        if (node.is_integer()) {
          status = internal::SetInteger(config_, option, *node.value<int64_t>(), {});
        } else if (node.is_string()) {
          status = SetOption(config_, option, *node.value<std::string>());
        } else {
          return WrongType(option, node);
        }
        break;
      case OptionType::kString:
      case OptionType::kEnum:
        if (!node.is_string()) return WrongType(option, node);
        status = SetOption(config_, option, *node.value<std::string>());
        break;
    }
    if (!status.ok()) Fail(node.source(), option.key, status.message());
  }

  void WrongType(const OptionSpec& option, const toml::node& node) {
    Fail(node.source(), option.key,
         fmt::format("expected {}, got {}", Expected(option.type), Describe(node)));
  }

  std::string_view source_name_;
  Config* config_;
  std::optional<Error> error_;
};

// Markdown table cells must not contain a bare pipe.
std::string Cell(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c == '|') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

Result<Config> LoadTomlString(std::string_view toml, std::string_view source_name, Config base) {
  toml::table root;
  try {
    root = toml::parse(toml, source_name);
  } catch (const toml::parse_error& e) {
    return Status::InvalidArgument(fmt::format("{}TOML syntax error: {}",
                                               Where(source_name, e.source()),
                                               internal::OneLine(e.description())));
  } catch (const std::exception& e) {
    // Allocation failure or similar inside the parser: still no exception past this module.
    return Status::Internal(fmt::format("{}: {}", source_name, internal::OneLine(e.what())));
  }
  TomlLoader loader(source_name, &base);
  loader.Load(root);
  if (Status status = loader.status(); !status.ok()) return status;
  return base;
}

Result<Config> LoadTomlFile(const std::string& path, Config base) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"),
                                                       &std::fclose);
  if (!file) {
    return Status::IOError(
        fmt::format("{}: cannot open config file: {}", path, std::strerror(errno)));
  }
  std::string text;
  char buffer[8192];
  size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, file.get())) > 0) text.append(buffer, n);
  if (std::ferror(file.get())) {
    return Status::IOError(
        fmt::format("{}: cannot read config file: {}", path, std::strerror(errno)));
  }
  return LoadTomlString(text, path, std::move(base));
}

std::string RenderToml(const Config& config, bool with_docs) {
  std::string out;
  bool first = true;
  for (const Section& section : internal::Sections()) {
    if (!first) out += '\n';
    first = false;
    if (with_docs) out += fmt::format("# {}\n", section.doc);
    out += fmt::format("[{}]\n", section.name);
    if (section.reserved) {
      if (with_docs) out += "# Reserved for a later version: must stay empty for now.\n";
      continue;
    }
    for (const OptionSpec& option : Options()) {
      if (internal::SectionOf(option) != section.name) continue;
      if (with_docs) {
        out += fmt::format("\n# {}\n# default: {}\n", option.doc, internal::DefaultText(option));
        if (const std::string bounds = internal::BoundsText(option); !bounds.empty()) {
          out += fmt::format("# {}: {}\n", option.type == OptionType::kEnum ? "one of" : "range",
                             bounds);
        }
        out += fmt::format("# runtime: {}\n", option.runtime ? "yes" : "no");
      }
      out +=
          fmt::format("{} = {}\n", internal::NameOf(option), internal::TomlValue(config, option));
    }
  }
  return out;
}

std::string RenderDefaultConfigFile() {
  return "# tidekv configuration: every option, set to its default.\n"
         "#\n"
         "# Generated from the option table (config/options.cc) by scripts/gen-config-docs; a\n"
         "# unit test fails when it drifts, so edit the table, not this file. Copy it, change\n"
         "# what you need and start with: tidekv-server --config FILE. Command-line flags\n"
         "# override the file; docs/configuration.md describes every option.\n"
         "\n" +
         RenderToml(Config{}, true);
}

std::string RenderMarkdownReference() {
  std::string out =
      "# Configuration reference\n"
      "\n"
      "<!-- Generated from config/options.cc by scripts/gen-config-docs. Do not edit by hand:\n"
      "     a unit test compares this file with the option table. -->\n"
      "\n"
      "## Precedence\n"
      "\n"
      "Each source overrides the one before it:\n"
      "\n"
      "1. built-in defaults (the tables below);\n"
      "2. the TOML file named with `--config FILE`;\n"
      "3. command-line flags.\n"
      "\n"
      "`config/tidekv.toml` lists every option at its default, with the same descriptions as\n"
      "this page. `tidekv-server --dump-config` prints the effective configuration in the same\n"
      "format, so it can be saved and reused as a file.\n"
      "\n"
      "A syntax error, an unknown section or key, a value of the wrong type, out of range or\n"
      "not among the choices stops start-up with one line naming the file, the line and the\n"
      "key, for example `tidekv.toml:12: server.port: 70000 is out of range [0, 65535]`.\n"
      "\n"
      "While the server runs, `CONFIG GET` and `CONFIG SET` accept an option's key\n"
      "(`server.hz`) or its Redis name (`hz`), in any case. `CONFIG SET` changes only the\n"
      "options whose runtime column says yes, all of its pairs or none; when the server\n"
      "cannot apply a change (a port already taken) every value of the call is restored.\n"
      "A `CONFIG GET` pattern with a dot matches keys (`compaction.*`), one without matches\n"
      "Redis names (`*`, `maxmemory*`), as Redis tools expect; the `[debug]` options are\n"
      "Redis's hidden ones, answered only when asked by their exact name. `appendonly` is\n"
      "reported (`yes` when every write is logged, in `logstore.mode` wal) and accepts only\n"
      "that value.\n"
      "\n"
      "`CONFIG REWRITE` writes the effective configuration into the `--config` file: the\n"
      "lines of options whose value changed get the new value in place (comments and other\n"
      "lines stay as they are), and options missing from the file are added to their section\n"
      "when they differ from the default. Without `--config` it answers `ERR The server is\n"
      "running without a config file`.\n"
      "\n"
      "Some options exist for Redis compatibility only and say so in their description:\n"
      "`daemonize`, `maxmemory-samples`, `maxmemory-clients` and the `[debug]` ones are\n"
      "accepted, validated and reported as Redis does, with no effect; `save` seals in\n"
      "`logstore.mode` spill.\n"
      "\n"
      "## Value types\n"
      "\n"
      "| type | in the TOML file | on the command line and in `CONFIG SET` |\n"
      "|---|---|---|\n"
      "| bool | `true` or `false` | `yes`, `no`, `true`, `false` (any case) |\n"
      "| int | integer | decimal integer |\n"
      "| bytes | integer, or a string with a unit: `\"512mb\"` | the same: `512mb`, `64kb`, "
      "`100k` |\n"
      "| string | string | text |\n"
      "| enum | string, one of the choices | one of the choices (any case) |\n"
      "\n"
      "Byte units follow Redis and ignore case: `k`, `m`, `g` are powers of 1000 and `kb`, `mb`,\n"
      "`gb` powers of 1024 (`b` or no unit means bytes).\n"
      "\n"
      "## Command-line flags\n"
      "\n"
      "| flag | meaning |\n"
      "|---|---|\n";
  for (const internal::GeneralFlag& flag : internal::GeneralFlags()) {
    std::string name = fmt::format(
        "`--{}{}`", flag.name, flag.value_name.empty() ? "" : " " + std::string(flag.value_name));
    if (flag.short_name != 0) name = fmt::format("`-{}`, {}", flag.short_name, name);
    out += fmt::format("| {} | {} |\n", name, Cell(flag.doc));
  }
  out +=
      "| `--<section>.<name> VALUE` | Sets any option below, e.g. `--server.hz 20`, "
      "`--limits.maxmemory 1gb` |\n"
      "\n"
      "Flags are applied in the order given, after the file; when a flag repeats, the last one\n"
      "wins. `--flag=value` works too.\n";

  for (const Section& section : internal::Sections()) {
    out += fmt::format("\n## [{}]\n\n{}\n", section.name, section.doc);
    if (section.reserved) {
      out +=
          "\nReserved for a later version: the section may be present in a file but must be "
          "empty.\n";
      continue;
    }
    out +=
        "\n| key | Redis name | type | default | bounds / choices | runtime | description |\n"
        "|---|---|---|---|---|---|---|\n";
    for (const OptionSpec& option : Options()) {
      if (internal::SectionOf(option) != section.name) continue;
      const std::string redis =
          option.redis_name.empty() ? "" : fmt::format("`{}`", option.redis_name);
      const std::string bounds = internal::BoundsText(option);
      out += fmt::format("| `{}` | {} | {} | `{}` | {} | {} | {} |\n", option.key, redis,
                         internal::TypeName(option.type), Cell(internal::DefaultText(option)),
                         bounds.empty() ? "" : fmt::format("`{}`", Cell(bounds)),
                         option.runtime ? "yes" : "no", Cell(option.doc));
    }
  }
  return out;
}

}  // namespace tidekv::config
