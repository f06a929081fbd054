#include "tests/integration/persistence_util.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstring>
#include <stdexcept>

namespace tidekv::integration {

namespace fs = std::filesystem;

std::unique_ptr<ServerProcess> StartServerOn(const fs::path& data, std::vector<std::string> args) {
  args.push_back("--dir");
  args.push_back(data.string());
  return std::make_unique<ServerProcess>(std::move(args));
}

void KillHard(ServerProcess& server) {
  server.Signal(SIGKILL);
  std::optional<int> code = server.WaitExit();
  if (code != 128 + SIGKILL) {
    throw std::runtime_error("tidekv-server did not die of SIGKILL (exit code " +
                             std::to_string(code.value_or(-1)) + ")");
  }
}

void ShutdownClean(ServerProcess& server, bool nosave) {
  RedisConnection c = server.Connect();
  // A successful SHUTDOWN has no reply: the server closes the connection and exits.
  Reply r = nosave ? Command(c.get(), {"SHUTDOWN", "NOSAVE"}) : Command(c.get(), {"SHUTDOWN"});
  if (r != nullptr) throw std::runtime_error("SHUTDOWN answered " + Describe(r));
  std::optional<int> code = server.WaitExit();
  if (code != 0) {
    throw std::runtime_error("tidekv-server exited with " + std::to_string(code.value_or(-1)) +
                             " after SHUTDOWN; log:\n" + server.Log());
  }
}

void WaitFirstSeal(redisContext* c) {
  const std::string set = Call(c, {"SET", "first", "write"});
  if (set != "OK") throw std::runtime_error("SET first write answered " + set);
  if (!WaitFor([&] { return InfoInt(c, "seals") >= 1; })) {
    throw std::runtime_error("no seal within 60 s of the first write");
  }
}

void WaitLogged(redisContext* c) {
  const int64_t next = InfoInt(c, "logstore_next_offset");
  if (!WaitFor([&] { return InfoInt(c, "logstore_durable_offset") >= next; })) {
    throw std::runtime_error("writes not durable within 60 s");
  }
}

void SaveAndShutdownOrKill(ServerProcess& server, redisContext* c, bool save) {
  if (save) {
    const std::string reply = Call(c, {"SAVE"});
    if (reply != "OK") throw std::runtime_error("SAVE answered " + reply);
    ShutdownClean(server);
  } else {
    WaitLogged(c);
    KillHard(server);
  }
}

ProcessResult RunServerOn(const fs::path& data, std::vector<std::string> args) {
  std::vector<std::string> argv = {ServerBinary(), "--port", "0", "--bind", "127.0.0.1"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back("--dir");
  argv.push_back(data.string());
  // A server that (wrongly) starts is killed as soon as it says it is ready.
  return RunProcess(argv, "", kStartTimeout, "tidekv-server ready");
}

std::string InfoText(redisContext* c, const std::string& section) {
  Reply r = Command(c, {"INFO", section});
  if (r == nullptr || r->type != REDIS_REPLY_STRING) {
    throw std::runtime_error("INFO " + section + " failed: " + Describe(r));
  }
  return std::string(r->str, r->len);
}

int64_t InfoInt(redisContext* c, const std::string& field, const std::string& section) {
  const std::string value = InfoField(InfoText(c, section), field);
  try {
    size_t used = 0;
    const int64_t n = std::stoll(value, &used);
    if (used == value.size()) return n;
  } catch (const std::exception&) {
  }
  throw std::runtime_error("INFO " + section + ": field " + field + " is '" + value +
                           "', not a number");
}

void Pipeline(redisContext* c, size_t count,
              const std::function<std::vector<std::string>(size_t)>& command,
              const std::function<void(size_t, const redisReply&)>& on_reply, size_t depth) {
  for (size_t begin = 0; begin < count; begin += depth) {
    const size_t end = std::min(count, begin + depth);
    for (size_t i = begin; i < end; i++) AppendCommand(c, command(i));
    for (size_t i = begin; i < end; i++) {
      Reply r = GetReply(c);
      if (r == nullptr) {
        throw std::runtime_error("pipeline: no reply to command " + std::to_string(i) + ": " +
                                 c->errstr);
      }
      on_reply(i, *r);
    }
  }
}

void SetAll(redisContext* c, size_t count,
            const std::function<std::pair<std::string, std::string>(size_t)>& entry) {
  Pipeline(
      c, count,
      [&](size_t i) {
        auto [key, value] = entry(i);
        return std::vector<std::string>{"SET", std::move(key), std::move(value)};
      },
      [](size_t i, const redisReply& r) {
        if (Describe(&r) != "OK") {
          throw std::runtime_error("SET number " + std::to_string(i) + " answered " + Describe(&r));
        }
      });
}

std::vector<std::optional<std::string>> GetAll(redisContext* c,
                                               const std::vector<std::string>& keys) {
  constexpr size_t kPerMget = 500;
  std::vector<std::optional<std::string>> values;
  values.reserve(keys.size());
  const size_t rounds = (keys.size() + kPerMget - 1) / kPerMget;
  Pipeline(
      c, rounds,
      [&](size_t round) {
        std::vector<std::string> argv = {"MGET"};
        const size_t end = std::min(keys.size(), (round + 1) * kPerMget);
        for (size_t i = round * kPerMget; i < end; i++) argv.push_back(keys[i]);
        return argv;
      },
      [&](size_t round, const redisReply& r) {
        if (r.type != REDIS_REPLY_ARRAY) {
          throw std::runtime_error("MGET round " + std::to_string(round) + " answered " +
                                   Describe(&r));
        }
        for (size_t i = 0; i < r.elements; i++) {
          const redisReply* e = r.element[i];
          if (e->type == REDIS_REPLY_STRING) {
            values.emplace_back(std::string(e->str, e->len));
          } else {
            values.emplace_back(std::nullopt);
          }
        }
      },
      16);
  return values;
}

namespace {

// splitmix64's output function: every output byte value is as likely as any other.
uint64_t Mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

}  // namespace

std::string BinaryValue(uint64_t seed, size_t size) {
  std::string out;
  out.reserve(size + 8);
  // The start is mixed too: with a plain seed * step start, the streams of nearby seeds
  // would be shifted copies of each other, which a compressor finds across values.
  uint64_t state = Mix(seed + 0x243F6A8885A308D3ull);
  while (out.size() < size) {
    const uint64_t z = Mix(state += 0x9E3779B97F4A7C15ull);
    out.append(reinterpret_cast<const char*>(&z), sizeof z);
  }
  out.resize(size);
  return out;
}

std::string Digest(redisContext* c) {
  Reply r = Command(c, {"DEBUG", "DIGEST"});
  if (r == nullptr || (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_STATUS)) {
    throw std::runtime_error("DEBUG DIGEST failed: " + Describe(r));
  }
  return std::string(r->str, r->len);
}

std::vector<fs::path> FilesBySize(const fs::path& dir, std::string_view suffix) {
  std::vector<std::pair<uintmax_t, fs::path>> found;
  for (const fs::directory_entry& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (e.is_regular_file() && name.size() >= suffix.size() &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      found.emplace_back(e.file_size(), e.path());
    }
  }
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a > b; });
  std::vector<fs::path> paths;
  for (auto& [size, path] : found) paths.push_back(std::move(path));
  return paths;
}

uint64_t TreeBytes(const fs::path& dir) {
  uint64_t total = 0;
  std::error_code ec;
  // The server creates and deletes files while this walks: skip what vanished meanwhile.
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code size_ec;
    if (it->is_regular_file(size_ec)) {
      const uintmax_t size = it->file_size(size_ec);
      if (!size_ec) total += size;
    }
  }
  return total;
}

void InvertBytes(const fs::path& file, uint64_t offset, size_t count) {
  const int fd = ::open(file.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error("open " + file.string() + ": " + std::strerror(errno));
  std::string bytes(count, '\0');
  const ssize_t n = ::pread(fd, bytes.data(), count, static_cast<off_t>(offset));
  bool ok = n == static_cast<ssize_t>(count);
  for (char& b : bytes) b = static_cast<char>(~b);
  ok = ok &&
       ::pwrite(fd, bytes.data(), count, static_cast<off_t>(offset)) == static_cast<ssize_t>(count);
  ::close(fd);
  if (!ok) {
    throw std::runtime_error("cannot rewrite " + std::to_string(count) + " bytes at " +
                             std::to_string(offset) + " of " + file.string());
  }
}

SmallTmpfs::SmallTmpfs(const fs::path& at, const std::string& size) : at_(at) {
  std::error_code ec;
  fs::create_directories(at_, ec);
  if (ec) {
    why_ = "cannot create " + at_.string() + ": " + ec.message();
    return;
  }
  ProcessResult r =
      RunProcess({"mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", at_.string()}, "", 10s);
  mounted_ = r.exit_code == 0;
  if (!mounted_)
    why_ = "mount -t tmpfs failed (exit " + std::to_string(r.exit_code) + "): " + r.err;
}

SmallTmpfs::~SmallTmpfs() {
  if (!mounted_) return;
  ProcessResult r = RunProcess({"umount", at_.string()}, "", 10s);
  // Something still holds a file open there (a server that would not die): detach it now,
  // the kernel frees it when the last user goes.
  if (r.exit_code != 0) RunProcess({"umount", "-l", at_.string()}, "", 10s);
}

}  // namespace tidekv::integration
