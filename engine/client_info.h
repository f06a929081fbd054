// A client as CLIENT LIST, CLIENT INFO and ACL LOG's client-info describe it. Loop thread.
#pragma once

#include <cstdint>
#include <string>

#include "engine/server_hooks.h"
#include "engine/session.h"

namespace tidekv::engine {

// CLIENT LIST's flags field of a session ("N", "x", "P"...).
std::string ClientFlags(const Session& s);
// One CLIENT LIST line, ending in a newline.
std::string ClientInfoLine(const ClientView& c, int64_t now_ms);

}  // namespace tidekv::engine
