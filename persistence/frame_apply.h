// FrameApplier: runs logged or replicated frames through the engine, the one loop both
// recovery (Persistence::ReplayLog) and the replica link share. It checks each frame
// against what this node expects next (offset in sequence, a database it has, a command
// flagged as a write) and says why it refused one; each caller decides what a refusal
// means (recovery skips a non-write an older version logged; a replica drops the link).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/engine.h"
#include "engine/session.h"
#include "proto/frame.h"
#include "proto/reply.h"

namespace tidekv::persistence {

enum class FrameVerdict {
  kApplied,     // ran (a command error is logged, not a refusal: the primary got it too)
  kOutOfOrder,  // not the offset expected next
  kNoDatabase,  // a database this node does not have
  kNotWrite,    // an unknown command or one flagged neither write nor may-replicate: not run
};

class FrameApplier {
 public:
  // `log_module` names the logger for command errors ("persistence", "replication").
  FrameApplier(engine::Engine& engine, std::string_view log_module);

  FrameVerdict Apply(const proto::Frame& frame, uint64_t expected_offset);
  engine::Session& session() { return session_; }
  // The refusal as one line for logs and errors ("frame 12 carries 'SHUTDOWN', ...").
  static std::string Describe(FrameVerdict verdict, const proto::Frame& frame,
                              uint64_t expected_offset);

 private:
  engine::Engine& engine_;
  std::string log_module_;
  engine::Session session_;
  std::string scratch_;
  proto::ReplyBuilder reply_{&scratch_};
};

}  // namespace tidekv::persistence
