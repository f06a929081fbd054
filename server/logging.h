// Logging set-up: one spdlog sink (standard error or log.file) shared by a named logger per
// module ("server", "net", "config", later "logstore", "replication", ...).
#pragma once

#include <spdlog/spdlog.h>

#include <memory>
#include <string_view>

#include "common/status.h"
#include "config/config.h"

namespace tidekv::server {

// Creates the sink and the default logger from log.level and log.file. Call once, early.
Status SetupLogging(const config::Config& config);

// The logger of a module, sharing the sink; created on first use.
std::shared_ptr<spdlog::logger> ModuleLogger(std::string_view module);

// Applies a new log.level to every logger (CONFIG SET loglevel).
void SetLogLevel(std::string_view level);

}  // namespace tidekv::server
