// Private to config/: the section list, the general command-line flags and the formatting and
// suggestion helpers shared by the TOML loader, the renderers and the command-line parser.
// Nothing outside config/ includes this header.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "config/config.h"

namespace tidekv::config::internal {

struct Section {
  std::string_view name;  // "server", as in the TOML header [server]
  bool reserved;          // allowed but must stay empty until a later version gives it keys
  std::string_view doc;   // one line, rendered above the section
};

// The eight sections, in the order RenderToml writes them (DESIGN.md §8).
const std::vector<Section>& Sections();
const Section* FindSection(std::string_view name);

// A flag of its own (not one of the generic --<section>.<name> flags).
struct GeneralFlag {
  std::string_view name;        // long name without dashes: "config"
  char short_name;              // 'h', or 0
  std::string_view value_name;  // "FILE"; empty for a switch
  std::string_view option_key;  // the option a shortcut sets ("server.port"); empty otherwise
  std::string_view doc;
};
const std::vector<GeneralFlag>& GeneralFlags();

// "server" and "port" of "server.port".
std::string_view SectionOf(const OptionSpec& option);
std::string_view NameOf(const OptionSpec& option);

// "bool", "int", "bytes", "string", "enum".
std::string_view TypeName(OptionType type);

// The value in TOML syntax: 6379, true, "0.0.0.0" (bytes as plain integers).
std::string TomlValue(const Config& config, const OptionSpec& option);

// A TOML basic string literal with the needed escapes.
std::string QuoteToml(std::string_view text);

// "512mb" when bytes is a whole number of KiB/MiB/GiB (the largest such unit), else "".
std::string HumanBytes(int64_t bytes);

// The default as the renderers show it: TOML syntax, bytes with their unit ("536870912 (512mb)").
std::string DefaultText(const OptionSpec& option);

// Bounds or choices as one phrase: "[0, 65535]", ">= 0", "noeviction | ..."; "" for strings.
std::string BoundsText(const OptionSpec& option);

// User text made safe for a one-line message: control characters escaped, long text cut.
std::string Printable(std::string_view text);

// A foreign message (parser, Boost) kept on one line whatever it contains.
std::string OneLine(std::string_view text);

// Checks bounds and stores an integer option (kInt or kBytes). as_written is the value as the
// user spelled it ("8gb"), shown in the message when it differs from the number.
Status SetInteger(Config* config, const OptionSpec& option, int64_t value,
                  std::string_view as_written);

// The candidate closest to wrong (case-insensitive edit distance, transpositions count one),
// or "" when none is close enough to be a plausible typo.
std::string_view ClosestMatch(std::string_view wrong,
                              const std::vector<std::string_view>& candidates);

// For an unknown "section.name" (or a bare name): the option key the user most likely meant,
// also when they used a Redis name ("maxclients") or put a known name in the wrong section.
std::string_view SuggestOptionKey(std::string_view wrong);

}  // namespace tidekv::config::internal
