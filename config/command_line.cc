// Command-line flags with Boost.Program_options. Boost reports errors by throwing; they are
// caught here and returned as a Status. Nothing is printed and nothing exits: the caller
// (server main) prints the message or the usage text.

#include <fmt/format.h>

#include <boost/program_options.hpp>
#include <exception>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "config/internal.h"

namespace tidekv::config {
namespace {

namespace po = boost::program_options;

constexpr unsigned kUsageWidth = 100;

// Exact flag names only: Boost's default "guessing" would let --serv mean --server.port
// today and become ambiguous the day another option starts with the same letters.
constexpr int kStyle =
    po::command_line_style::default_style & ~po::command_line_style::allow_guessing;

std::string ValueName(const OptionSpec& option) {
  switch (option.type) {
    case OptionType::kBool:
      return "yes|no";
    case OptionType::kInt:
      return "N";
    case OptionType::kBytes:
      return "BYTES";
    case OptionType::kString:
      return "TEXT";
    case OptionType::kEnum:
      return "CHOICE";
  }
  return "VALUE";
}

po::options_description GeneralDescription() {
  po::options_description general("General flags", kUsageWidth);
  for (const internal::GeneralFlag& flag : internal::GeneralFlags()) {
    std::string names(flag.name);
    if (flag.short_name != 0) names += std::string(",") + flag.short_name;
    const std::string doc(flag.doc);
    if (flag.value_name.empty()) {
      general.add_options()(names.c_str(), doc.c_str());
    } else {
      general.add_options()(names.c_str(),
                            po::value<std::string>()->value_name(std::string(flag.value_name)),
                            doc.c_str());
    }
  }
  return general;
}

po::options_description OptionDescription() {
  po::options_description options("Option flags (one per option; see docs/configuration.md)",
                                  kUsageWidth);
  for (const OptionSpec& option : Options()) {
    std::string doc = fmt::format("{} Default: {}.", option.doc, internal::DefaultText(option));
    if (option.type == OptionType::kEnum) {
      doc += fmt::format(" One of: {}.", internal::BoundsText(option));
    }
    options.add_options()(std::string(option.key).c_str(),
                          po::value<std::string>()->value_name(ValueName(option)), doc.c_str());
  }
  return options;
}

po::options_description AllFlags() {
  po::options_description all;
  all.add(GeneralDescription()).add(OptionDescription());
  return all;
}

// "--server.prot=1" -> "--server.prot".
std::string FlagAsWritten(const po::option& flag) {
  std::string token = flag.original_tokens.empty() ? flag.string_key : flag.original_tokens[0];
  if (const size_t eq = token.find('='); eq != std::string::npos) token.resize(eq);
  return token;
}

Status UnknownFlag(const po::option& flag) {
  const std::string written = FlagAsWritten(flag);
  if (written.empty() || written[0] != '-') {
    return Status::InvalidArgument(
        fmt::format("unexpected argument '{}' (a config file is given with --config FILE)",
                    internal::Printable(written)));
  }
  const std::string_view name = std::string_view(written).substr(written.find_first_not_of('-'));
  std::vector<std::string_view> names;
  for (const internal::GeneralFlag& general : internal::GeneralFlags()) {
    names.push_back(general.name);
  }
  for (const OptionSpec& option : Options()) names.push_back(option.key);
  std::string_view near = internal::ClosestMatch(name, names);
  if (near.empty()) near = internal::SuggestOptionKey(name);
  std::string message = fmt::format("unknown flag {}", internal::Printable(written));
  if (!near.empty()) message += fmt::format(" (did you mean --{}?)", near);
  return Status::InvalidArgument(std::move(message));
}

// The option a flag sets: a shortcut (--port) or a generic flag (--server.port).
const OptionSpec* OptionForFlag(std::string_view name) {
  for (const internal::GeneralFlag& general : internal::GeneralFlags()) {
    if (general.name == name) {
      return general.option_key.empty() ? nullptr : FindOption(general.option_key);
    }
  }
  for (const OptionSpec& option : Options()) {
    if (option.key == name) return &option;
  }
  return nullptr;
}

}  // namespace

namespace internal {

const std::vector<GeneralFlag>& GeneralFlags() {
  static const std::vector<GeneralFlag> flags = {
      {"config", 0, "FILE", "", "Load this TOML file over the defaults; flags still win."},
      {"port", 0, "N", "server.port", "Same as --server.port."},
      {"bind", 0, "ADDR", "server.bind", "Same as --server.bind."},
      {"dir", 0, "DIR", "server.dir", "Same as --server.dir."},
      {"loglevel", 0, "LEVEL", "log.level", "Same as --log.level."},
      {"trace-file", 0, "PATH", "trace.path",
       "Same as --trace.path; also turns tracing on (trace.enabled = true)."},
      {"replicaof", 0, "HOST:PORT", "replication.replicaof",
       "Same as --replication.replicaof: start as a replica of that primary."},
      {"dump-config", 0, "", "", "Print the effective configuration as a TOML file, then exit."},
      {"accept-data-loss", 0, "", "",
       "Start even when the data directory shows that acknowledged writes were lost (a "
       "missing or damaged log); what is lost is logged at ERROR. For one start after a "
       "disaster, never routinely."},
      {"help", 'h', "", "", "Print this help, then exit."},
      {"version", 0, "", "", "Print the version, then exit."},
  };
  return flags;
}

}  // namespace internal

std::string UsageText() {
  std::ostringstream text;
  text << "Usage: tidekv-server [--config FILE] [flags]\n\n"
       << "Settings come from defaults, then the --config file, then flags (last wins).\n\n"
       << GeneralDescription() << '\n'
       << OptionDescription();
  return text.str();
}

Result<CommandLine> ParseCommandLine(int argc, const char* const* argv) {
  CommandLine result;
  result.usage = UsageText();
  if (argc <= 1 || argv == nullptr) return result;

  std::vector<po::option> flags;
  try {
    const po::options_description all = AllFlags();
    flags = po::command_line_parser(argc, argv)
                .options(all)
                .style(kStyle)
                .allow_unregistered()
                .run()
                .options;
  } catch (const po::error& e) {
    return Status::InvalidArgument(internal::OneLine(e.what()));
  } catch (const std::exception& e) {
    return Status::Internal(fmt::format("reading the command line: {}", e.what()));
  }

  // --help and --version answer even when the rest of the line is wrong.
  for (const po::option& flag : flags) {
    if (flag.unregistered) continue;
    if (flag.string_key == "help") result.help = true;
    if (flag.string_key == "version") result.version = true;
  }
  if (result.help || result.version) return result;

  for (const po::option& flag : flags) {
    if (flag.unregistered || flag.string_key.empty()) return UnknownFlag(flag);
    if (flag.string_key != "config") continue;
    if (!result.config_path.empty()) {
      return Status::InvalidArgument("--config given more than once");
    }
    result.config_path = flag.value.empty() ? std::string() : flag.value[0];
    if (result.config_path.empty()) return Status::InvalidArgument("--config: empty file name");
  }

  if (!result.config_path.empty()) {
    Result<Config> loaded = LoadTomlFile(result.config_path);
    if (!loaded.ok()) return loaded.status();
    result.config = std::move(loaded).value();
  }

  for (const po::option& flag : flags) {
    if (flag.string_key == "config") continue;
    if (flag.string_key == "dump-config") {
      result.dump_config = true;
      continue;
    }
    if (flag.string_key == "accept-data-loss") {
      result.accept_data_loss = true;
      continue;
    }
    const OptionSpec* option = OptionForFlag(flag.string_key);
    if (option == nullptr || flag.value.size() != 1) {
      return Status::Internal(fmt::format("flag --{} is not handled", flag.string_key));
    }
    if (Status status = SetOption(&result.config, *option, flag.value[0]); !status.ok()) {
      return Status(status.code(), fmt::format("--{}: {}", flag.string_key, status.message()));
    }
    if (flag.string_key == "trace-file") result.config.trace_enabled = true;
  }
  return result;
}

}  // namespace tidekv::config
