// Versions reported by INFO, HELLO and --version.
#pragma once

#include <string_view>

namespace tidekv {

// tidekv's own version.
inline constexpr std::string_view kVersion = "0.1.0";
// The Redis version tidekv's command set follows (clients check it in HELLO / INFO).
inline constexpr std::string_view kRedisCompatVersion = "7.0.0";

}  // namespace tidekv
