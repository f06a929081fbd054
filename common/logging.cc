#include "common/logging.h"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include <mutex>
#include <vector>

namespace tidekv {

namespace {

std::mutex g_mutex;
std::vector<spdlog::sink_ptr> g_sinks;
spdlog::level::level_enum g_level = spdlog::level::info;

spdlog::level::level_enum ParseLevel(std::string_view level) {
  return spdlog::level::from_str(std::string(level));
}

std::shared_ptr<spdlog::logger> MakeLogger(const std::string& name) {
  auto logger = std::make_shared<spdlog::logger>(name, g_sinks.begin(), g_sinks.end());
  logger->set_level(g_level);
  logger->flush_on(spdlog::level::info);
  spdlog::register_logger(logger);
  return logger;
}

}  // namespace

Status SetupLogging(std::string_view level, const std::string& file) {
  std::lock_guard lock(g_mutex);
  g_sinks.clear();
  try {
    if (file.empty()) {
      g_sinks.push_back(std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
    } else {
      g_sinks.push_back(std::make_shared<spdlog::sinks::basic_file_sink_mt>(file));
    }
  } catch (const spdlog::spdlog_ex& e) {
    return Status::IOError("log.file " + file + ": " + e.what());
  }
  // pid, level, time, module: "12345 I 2026-11-23 23:59:01.123 [server] message"
  for (auto& sink : g_sinks) sink->set_pattern("%P %L %Y-%m-%d %H:%M:%S.%e [%n] %v");
  g_level = ParseLevel(level);
  spdlog::drop_all();
  spdlog::set_default_logger(MakeLogger("tidekv"));
  return Status::Ok();
}

std::shared_ptr<spdlog::logger> ModuleLogger(std::string_view module) {
  std::lock_guard lock(g_mutex);
  std::string name(module);
  if (auto existing = spdlog::get(name)) return existing;
  if (g_sinks.empty()) {
    g_sinks.push_back(std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
  }
  return MakeLogger(name);
}

void SetLogLevel(std::string_view level) {
  std::lock_guard lock(g_mutex);
  g_level = ParseLevel(level);
  spdlog::apply_all([](const std::shared_ptr<spdlog::logger>& l) { l->set_level(g_level); });
}

}  // namespace tidekv
