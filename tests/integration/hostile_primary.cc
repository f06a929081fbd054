#include "tests/integration/hostile_primary.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>

#include "tests/integration/raw_socket.h"

namespace tidekv::integration {

namespace {

constexpr size_t kShipChunk = 64 * 1024;  // the most a $-chunk of a shipped batch may hold
constexpr int kSliceMs = 10;              // how often blocked calls look at the stop flag

constexpr std::array<uint32_t, 256> MakeCrcTable() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; i++) {
    uint32_t crc = i;
    for (int bit = 0; bit < 8; bit++) crc = (crc >> 1) ^ ((crc & 1) ? 0x82F63B78u : 0);
    table[i] = crc;
  }
  return table;
}
constexpr std::array<uint32_t, 256> kCrcTable = MakeCrcTable();

uint64_t SplitMix(uint64_t* state) {
  uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

std::runtime_error SystemError(const std::string& what) {
  return std::runtime_error(what + ": " + std::strerror(errno));
}

bool EqualsUpper(std::string_view a, std::string_view upper) {
  if (a.size() != upper.size()) return false;
  for (size_t i = 0; i < a.size(); i++) {
    if (std::toupper(static_cast<unsigned char>(a[i])) != upper[i]) return false;
  }
  return true;
}

// Parses one complete RESP array of bulk strings (the replica sends nothing else).
std::vector<std::string> ParseCommand(std::string_view bytes) {
  auto number = [&](size_t* pos, char type) {
    if (*pos >= bytes.size() || bytes[*pos] != type) {
      throw std::runtime_error(
          "the replica sent something other than an array of bulk "
          "strings: " +
          std::string(bytes.substr(0, 80)));
    }
    const size_t eol = bytes.find("\r\n", *pos);
    int64_t n = -1;
    std::from_chars(bytes.data() + *pos + 1, bytes.data() + eol, n);
    *pos = eol + 2;
    return n;
  };
  size_t pos = 0;
  const int64_t count = number(&pos, '*');
  std::vector<std::string> argv;
  for (int64_t i = 0; i < count; i++) {
    const int64_t len = number(&pos, '$');
    argv.emplace_back(bytes.substr(pos, static_cast<size_t>(len)));
    pos += static_cast<size_t>(len) + 2;
  }
  return argv;
}

}  // namespace

// ---- encoders ---------------------------------------------------------------------------

uint32_t Crc32cOf(std::string_view data, uint32_t crc) {
  crc = ~crc;
  for (char c : data) crc = kCrcTable[(crc ^ static_cast<uint8_t>(c)) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

std::string RespArray(const std::vector<std::string>& argv) {
  std::string out = "*" + std::to_string(argv.size()) + "\r\n";
  for (const std::string& a : argv) {
    out += "$" + std::to_string(a.size()) + "\r\n";
    out += a;
    out += "\r\n";
  }
  return out;
}

std::string FrameBytes(uint64_t offset, int db, const std::vector<std::string>& argv) {
  std::string out = db == 0 ? "*2\r\n" : "*3\r\n";
  out += ":" + std::to_string(offset) + "\r\n";
  if (db != 0) out += ":" + std::to_string(db) + "\r\n";
  return out + RespArray(argv);
}

std::string HexReplid(uint64_t seed) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(40, '0');
  for (char& c : id) c = kHex[SplitMix(&seed) & 15];
  return id;
}

// ---- PrimaryPeer --------------------------------------------------------------------------

PrimaryPeer::PrimaryPeer(int fd, const std::atomic<bool>* stop) : fd_(fd), stop_(stop) {}

PrimaryPeer::~PrimaryPeer() {
  if (fd_ >= 0) close(fd_);
}

void PrimaryPeer::Pump(int slice_ms, bool want_write, bool* writable) {
  if (stop_->load()) throw StopRequested();
  if (writable != nullptr) *writable = false;
  pollfd pfd{fd_, static_cast<short>(POLLIN | (want_write ? POLLOUT : 0)), 0};
  const int ready = poll(&pfd, 1, slice_ms);
  if (ready < 0 && errno != EINTR) throw SystemError("poll");
  if (ready <= 0) return;
  if (writable != nullptr && (pfd.revents & POLLOUT)) *writable = true;
  if (!(pfd.revents & (POLLIN | POLLHUP | POLLERR)) || closed_) return;
  char buf[65536];
  for (;;) {
    const ssize_t n = read(fd_, buf, sizeof buf);
    if (n > 0) {
      in_.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) closed_ = true;
    break;
  }
  if (streaming_) TakeAcks();
}

void PrimaryPeer::TakeAcks() {
  for (;;) {
    const std::optional<size_t> len = RespReplyLength(in_);
    if (!len) return;
    const std::vector<std::string> argv = ParseCommand(std::string_view(in_).substr(0, *len));
    in_.erase(0, *len);
    if (argv.size() >= 3 && EqualsUpper(argv[0], "REPLCONF") && EqualsUpper(argv[1], "ACK")) {
      uint64_t offset = 0;
      std::from_chars(argv[2].data(), argv[2].data() + argv[2].size(), offset);
      acks_.push_back(offset);
    }
  }
}

std::optional<std::vector<std::string>> PrimaryPeer::ReadCommand(
    std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (const std::optional<size_t> len = RespReplyLength(in_)) {
      std::vector<std::string> argv = ParseCommand(std::string_view(in_).substr(0, *len));
      in_.erase(0, *len);
      return argv;
    }
    if (closed_ || Clock::now() >= deadline) return std::nullopt;
    Pump(kSliceMs, false, nullptr);
  }
}

std::vector<std::string> PrimaryPeer::Handshake() {
  for (;;) {
    const auto argv = ReadCommand(kReplyTimeout);
    if (!argv || argv->empty()) {
      throw std::runtime_error(closed_ ? "the replica closed the connection in the handshake"
                                       : "no handshake command from the replica in time");
    }
    const std::string& name = (*argv)[0];
    if (EqualsUpper(name, "PSYNC") && argv->size() == 3) {
      streaming_ = true;
      return {(*argv)[1], (*argv)[2]};
    }
    std::string_view reply;
    if (EqualsUpper(name, "PING")) {
      reply = "+PONG\r\n";
    } else if (EqualsUpper(name, "AUTH") || EqualsUpper(name, "REPLCONF")) {
      reply = "+OK\r\n";
    } else {
      throw std::runtime_error("unexpected command in the replica's handshake: " + name);
    }
    if (!Send(reply))
      throw std::runtime_error("the replica closed the connection in the handshake");
  }
}

bool PrimaryPeer::Send(std::string_view bytes, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  size_t sent = 0;
  while (sent < bytes.size()) {
    if (closed_ || Clock::now() >= deadline) return false;
    bool writable = false;
    Pump(kSliceMs, true, &writable);
    if (!writable) continue;
    const ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
    } else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      closed_ = true;  // EPIPE, ECONNRESET: the replica is gone
    }
  }
  return true;
}

bool PrimaryPeer::SendBatch(const ShippedBatch& batch) {
  const uint64_t declared = batch.declared_bytes.value_or(batch.bytes.size());
  std::string out = "+BATCH " + batch.name + " " + std::to_string(declared) + " " +
                    std::to_string(batch.lower) + " " + std::to_string(batch.upper) + " " +
                    std::to_string(batch.level) + "\r\n";
  for (size_t at = 0; at < batch.bytes.size(); at += kShipChunk) {
    const std::string_view part = std::string_view(batch.bytes).substr(at, kShipChunk);
    out += "$" + std::to_string(part.size()) + "\r\n";
    out += part;
    out += "\r\n";
  }
  out += batch.crc_line.value_or("+CRC32C " + std::to_string(Crc32cOf(batch.bytes)));
  out += "\r\n";
  return Send(out);
}

bool PrimaryPeer::ClosedBefore(const std::function<bool()>& done,
                               std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    // done first: a replica that applied something and then went away did apply it.
    if (done()) return false;
    if (closed_) return true;
    if (Clock::now() >= deadline) {
      throw std::runtime_error("the replica neither closed the link nor did what was awaited in " +
                               std::to_string(timeout.count()) + " ms (last ack " +
                               (acks_.empty() ? "none" : std::to_string(acks_.back())) + ")");
    }
    Pump(kSliceMs, false, nullptr);
  }
}

bool PrimaryPeer::ClosedBeforeAck(uint64_t offset, std::chrono::milliseconds timeout) {
  return ClosedBefore([&] { return !acks_.empty() && acks_.back() >= offset; }, timeout);
}

bool PrimaryPeer::WaitClosed(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!closed_) {
    if (Clock::now() >= deadline) return false;
    Pump(kSliceMs, false, nullptr);
  }
  return true;
}

// ---- HostilePrimary -----------------------------------------------------------------------

HostilePrimary::HostilePrimary(Script script) : script_(std::move(script)) {
  listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (listen_fd_ < 0) throw SystemError("socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = 0;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      listen(listen_fd_, 16) != 0 ||
      getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    const std::runtime_error error = SystemError("hostile primary listen");
    close(listen_fd_);
    throw error;
  }
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { Run(); });
}

HostilePrimary::~HostilePrimary() {
  stop_.store(true);
  thread_.join();
  close(listen_fd_);
}

void HostilePrimary::Run() {
  int n = 0;
  while (!stop_.load()) {
    pollfd pfd{listen_fd_, POLLIN, 0};
    if (poll(&pfd, 1, kSliceMs) <= 0) continue;
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) continue;
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    bool stopping = false;
    {
      PrimaryPeer peer(fd, &stop_);
      try {
        script_(peer, n);
      } catch (const StopRequested&) {
        stopping = true;
      } catch (const std::exception& e) {
        std::lock_guard<std::mutex> lock(mu_);
        if (failure_.empty()) {
          failure_ = "hostile primary script, connection " + std::to_string(n) + ": " + e.what();
        }
      }
    }
    n++;
    {
      std::lock_guard<std::mutex> lock(mu_);
      done_++;
    }
    changed_.notify_all();
    if (stopping) break;
  }
}

bool HostilePrimary::WaitScripts(int count, std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  const bool reached = changed_.wait_for(lock, timeout, [&] { return done_ >= count; });
  if (!failure_.empty()) throw std::runtime_error(failure_);
  return reached;
}

int HostilePrimary::scripts_done() const {
  std::lock_guard<std::mutex> lock(mu_);
  return done_;
}

std::string HostilePrimary::failure() const {
  std::lock_guard<std::mutex> lock(mu_);
  return failure_;
}

void RefusePsync(PrimaryPeer& peer) {
  try {
    peer.Handshake();
    peer.Send("-ERR hostile primary: nothing more for this replica\r\n");
    peer.WaitClosed();
  } catch (const StopRequested&) {
    throw;
  } catch (const std::runtime_error&) {
    // The replica may be stopping meanwhile: nothing here is what a test checks.
  }
}

std::optional<uint64_t> ProcStatusKib(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.compare(0, field.size() + 1, field + ":") != 0) continue;
    uint64_t kib = 0;
    const size_t at = line.find_first_of("0123456789");
    if (at == std::string::npos) return std::nullopt;
    std::from_chars(line.data() + at, line.data() + line.size(), kib);
    return kib;
  }
  return std::nullopt;
}

}  // namespace tidekv::integration
