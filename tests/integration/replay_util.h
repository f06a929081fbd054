// Recording a traced workload against the real server and checking that tidekv-replay
// reproduces it (used by the collection and hash field expiry tests).
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "tests/integration/server_process.h"

namespace tidekv::integration {

// tidekv-replay with `args`, run to completion (its 300 s deadline is a hang guard only).
ProcessResult RunReplay(const std::vector<std::string>& args);
// A run's exit status and the start of its output, for failure messages.
std::string Output(const ProcessResult& r);

// Runs `workload` against a server that traces to `trace`, then SHUTDOWN; returns the
// server's DEBUG DIGEST at the end. The trace must have dropped nothing.
std::string Record(const std::filesystem::path& trace,
                   const std::function<void(ServerProcess&)>& workload);

// Replays `trace` in-process, where every reply is compared with the recorded one (random
// draws too: the trace header's seeds make them reproducible) and whose final digest must
// be the recorded server's; and, unless the workload draws at random (a fresh server has
// its own seeds), against a fresh server whose DEBUG DIGEST must match as well.
void CheckReplays(const std::filesystem::path& trace, const std::string& digest,
                  size_t min_compared, bool target_too = true);

}  // namespace tidekv::integration
