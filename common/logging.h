// Logging set-up: one spdlog sink (standard error or log.file) shared by a named logger per
// module ("server", "net", "config", later "logstore", "replication", ...).
#pragma once

#include <spdlog/spdlog.h>

#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"

namespace tidekv {

// Creates the sink and the default logger from log.level and log.file (empty: standard
// error). Call once, early.
Status SetupLogging(std::string_view level, const std::string& file);

// The logger of a module, sharing the sink; created on first use.
std::shared_ptr<spdlog::logger> ModuleLogger(std::string_view module);

// Applies a new log.level to every logger (CONFIG SET loglevel).
void SetLogLevel(std::string_view level);

}  // namespace tidekv
