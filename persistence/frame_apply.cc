#include "persistence/frame_apply.h"

#include <fmt/format.h>

#include "common/logging.h"

namespace tidekv::persistence {

FrameApplier::FrameApplier(engine::Engine& engine, std::string_view log_module)
    : engine_(engine), log_module_(log_module) {
  session_.internal = true;
  session_.applies_frames = true;
}

FrameVerdict FrameApplier::Apply(const proto::Frame& frame, uint64_t expected_offset) {
  if (frame.offset != expected_offset) return FrameVerdict::kOutOfOrder;
  if (frame.db >= engine_.keyspace().num_databases()) return FrameVerdict::kNoDatabase;
  const engine::CommandSpec* spec =
      frame.argv.empty() ? nullptr : engine_.commands().Resolve(frame.argv);
  if (spec == nullptr || !(HasFlag(spec->flags, engine::CommandFlag::kWrite) ||
                           HasFlag(spec->flags, engine::CommandFlag::kMayReplicate))) {
    return FrameVerdict::kNotWrite;
  }
  session_.db = frame.db;
  scratch_.clear();
  engine_.Execute(session_, frame.argv, reply_, spec);
  if (!scratch_.empty() && scratch_[0] == '-') {
    ModuleLogger(log_module_)
        ->warn("frame {} ({}) failed: {}", frame.offset, frame.argv[0].substr(0, 64),
               scratch_.substr(1, scratch_.size() - 3));
  }
  return FrameVerdict::kApplied;
}

std::string FrameApplier::Describe(FrameVerdict verdict, const proto::Frame& frame,
                                   uint64_t expected_offset) {
  switch (verdict) {
    case FrameVerdict::kApplied:
      return fmt::format("frame {} applied", frame.offset);
    case FrameVerdict::kOutOfOrder:
      return fmt::format("frame offset {} where {} was expected", frame.offset, expected_offset);
    case FrameVerdict::kNoDatabase:
      return fmt::format("frame {} is for database {}, which this node does not have", frame.offset,
                         frame.db);
    case FrameVerdict::kNotWrite:
      return fmt::format("frame {} carries '{}', which is not a write", frame.offset,
                         frame.argv.empty() ? std::string_view() : frame.argv[0].substr(0, 64));
  }
  return {};
}

}  // namespace tidekv::persistence
