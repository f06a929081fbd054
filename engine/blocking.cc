#include "engine/blocking.h"

#include "engine/command_context.h"

namespace tidekv::engine {

struct BlockingRegistry::Waiter {
  Session* session = nullptr;
  int db = 0;
  std::vector<std::string> keys;
  std::vector<std::string> argv;
  int64_t deadline_ms = 0;  // 0: none
  keyspace::ValueType wait_for = keyspace::ValueType::kList;
};

BlockingRegistry::BlockingRegistry(Engine& engine) : engine_(engine) {}
BlockingRegistry::~BlockingRegistry() = default;

void BlockingRegistry::Block(CommandContext& ctx, std::span<const std::string_view> /*keys*/,
                             int64_t /*timeout_ms*/, keyspace::ValueType /*wait_for*/) {
  ctx.reply.NullArray();
}

void BlockingRegistry::ServeReady() {}
void BlockingRegistry::ExpireTimeouts(int64_t) {}
int64_t BlockingRegistry::NextDeadline() const { return INT64_MAX; }
bool BlockingRegistry::Unblock(uint64_t, bool) { return false; }
void BlockingRegistry::Remove(uint64_t) {}
void BlockingRegistry::OnKeyModified(int, Entry*) {}

}  // namespace tidekv::engine
