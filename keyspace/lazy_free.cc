#include "keyspace/lazy_free.h"

#include <string_view>

namespace tidekv::keyspace {

LazyFree::~LazyFree() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (worker_.joinable()) worker_.join();
}

size_t LazyFree::Effort(types::ValueType type, const types::Value& value) {
  const types::TypeOps* ops = types::OpsFor(type);
  if (ops == nullptr) return 1;
  const std::string_view encoding = ops->encoding(value);
  if (encoding == "listpack" || encoding == "listpackex" || encoding == "intset") return 1;
  return ops->length(value);
}

void LazyFree::Submit(types::ValueType type, types::Value* value) {
  pending_.fetch_add(1, std::memory_order_relaxed);
  {
    std::lock_guard lock(mu_);
    queue_.emplace_back(type, value);
  }
  if (!worker_.joinable()) worker_ = std::thread([this] { Run(); });
  wake_.notify_one();
}

void LazyFree::SubmitTask(std::function<void()> free, size_t objects) {
  pending_.fetch_add(objects, std::memory_order_relaxed);
  {
    std::lock_guard lock(mu_);
    tasks_.emplace_back(std::move(free), objects);
  }
  if (!worker_.joinable()) worker_ = std::thread([this] { Run(); });
  wake_.notify_one();
}

void LazyFree::Run() {
  std::vector<std::pair<types::ValueType, types::Value*>> batch;
  std::vector<std::pair<std::function<void()>, size_t>> tasks;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty() || !tasks_.empty(); });
      if (queue_.empty() && tasks_.empty()) return;  // stopping, nothing left
      batch.swap(queue_);
      tasks.swap(tasks_);
    }
    for (const auto& [type, value] : batch) {
      types::OpsFor(type)->destroy(value);
      freed_.fetch_add(1, std::memory_order_relaxed);
      pending_.fetch_sub(1, std::memory_order_relaxed);
    }
    batch.clear();
    for (auto& [free, objects] : tasks) {
      free();
      freed_.fetch_add(objects, std::memory_order_relaxed);
      pending_.fetch_sub(objects, std::memory_order_relaxed);
    }
    tasks.clear();
  }
}

}  // namespace tidekv::keyspace
