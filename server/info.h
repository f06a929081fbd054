// INFO: renders the server's sections as "# Section\r\nkey:value\r\n..." text.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace tidekv::server {

class Engine;

// sections: empty or "default" -> the default set; "all"/"everything" -> every section;
// otherwise the named sections (case-insensitive), in the order the server defines.
std::string BuildInfo(Engine& engine, std::span<const std::string_view> sections);

// The version string reported by INFO, --version and HELLO.
inline constexpr std::string_view kVersion = "0.1.0";
// The Redis version tidekv's command set follows (clients check it in HELLO / INFO).
inline constexpr std::string_view kRedisCompatVersion = "7.0.0";

}  // namespace tidekv::server
