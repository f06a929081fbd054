#include "tests/integration/server_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace tidekv::integration {

namespace {

// Writing to a connection the server already closed must fail with EPIPE, not kill the
// test binary; and the 1,000-client test needs more descriptors than a default soft limit.
[[maybe_unused]] const bool kProcessSetUp = [] {
  std::signal(SIGPIPE, SIG_IGN);
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
  return true;
}();

std::runtime_error SystemError(const std::string& what) {
  return std::runtime_error(what + ": " + std::strerror(errno));
}

int MillisLeft(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return static_cast<int>(std::max<int64_t>(0, left.count()));
}

int StatusToCode(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

void SetNonBlocking(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

// Runs in the forked child before exec: only async-signal-safe calls. The child dies with
// the test process, and keeps none of the test's descriptors (sockets of other clients
// would otherwise stay open in it and hide the server closing them).
[[noreturn]] void ExecChild(char* const* argv, int in_fd, int out_fd, int err_fd) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  std::signal(SIGPIPE, SIG_DFL);
  if (in_fd >= 0) dup2(in_fd, STDIN_FILENO);
  dup2(out_fd, STDOUT_FILENO);
  dup2(err_fd, STDERR_FILENO);
  if (syscall(SYS_close_range, 3u, ~0u, 0u) != 0) {
    for (int fd = 3; fd < 65536; fd++) close(fd);
  }
  execvp(argv[0], argv);
  _exit(127);
}

std::vector<char*> ArgvPointers(const std::vector<std::string>& argv) {
  std::vector<char*> pointers;
  for (const std::string& arg : argv) pointers.push_back(const_cast<char*>(arg.c_str()));
  pointers.push_back(nullptr);
  return pointers;
}

// Waits for pid until the deadline; returns the exit code, or nothing if it still runs.
std::optional<int> WaitPid(pid_t pid, Clock::time_point deadline) {
  while (true) {
    int status = 0;
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) return StatusToCode(status);
    if (r < 0 && errno != EINTR) return -1;
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(5ms);
  }
}

}  // namespace

// ---- processes -----------------------------------------------------------------------

ProcessResult RunProcess(const std::vector<std::string>& argv, const std::string& input,
                         std::chrono::milliseconds timeout, const std::string& kill_on_stdout) {
  int in_pipe[2], out_pipe[2], err_pipe[2];
  if (pipe2(in_pipe, O_CLOEXEC) != 0 || pipe2(out_pipe, O_CLOEXEC) != 0 ||
      pipe2(err_pipe, O_CLOEXEC) != 0) {
    throw SystemError("pipe2");
  }
  std::vector<char*> args = ArgvPointers(argv);
  pid_t pid = fork();
  if (pid < 0) throw SystemError("fork");
  if (pid == 0) ExecChild(args.data(), in_pipe[0], out_pipe[1], err_pipe[1]);
  close(in_pipe[0]);
  close(out_pipe[1]);
  close(err_pipe[1]);
  int in_fd = in_pipe[1], out_fd = out_pipe[0], err_fd = err_pipe[0];
  SetNonBlocking(in_fd);
  if (input.empty()) {
    close(in_fd);
    in_fd = -1;
  }

  ProcessResult result;
  const auto deadline = Clock::now() + timeout;
  size_t written = 0;
  while ((out_fd >= 0 || err_fd >= 0) && Clock::now() < deadline) {
    pollfd fds[3] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}, {in_fd, POLLOUT, 0}};
    if (poll(fds, 3, std::min(MillisLeft(deadline), 100)) < 0 && errno != EINTR) break;
    if (in_fd >= 0 && (fds[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t n = write(in_fd, input.data() + written, input.size() - written);
      if (n > 0) written += static_cast<size_t>(n);
      if ((n < 0 && errno != EAGAIN) || written == input.size()) {
        close(in_fd);
        in_fd = -1;
      }
    }
    for (int i = 0; i < 2; i++) {
      int& fd = i == 0 ? out_fd : err_fd;
      if (fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buf[65536];
      ssize_t n = read(fd, buf, sizeof buf);
      if (n > 0) {
        (i == 0 ? result.out : result.err).append(buf, static_cast<size_t>(n));
        if (i == 0 && !kill_on_stdout.empty() &&
            result.out.find(kill_on_stdout) != std::string::npos) {
          kill(pid, SIGKILL);
        }
      } else if (n == 0 || errno != EINTR) {
        close(fd);
        fd = -1;
      }
    }
  }
  for (int fd : {in_fd, out_fd, err_fd}) {
    if (fd >= 0) close(fd);
  }
  std::optional<int> code = WaitPid(pid, deadline);
  if (!code) {
    result.timed_out = true;
    kill(pid, SIGKILL);
    code = WaitPid(pid, Clock::now() + 5s);
  }
  result.exit_code = code.value_or(-1);
  return result;
}

ProcessResult RunRedisCli(uint16_t port, const std::vector<std::string>& args,
                          const std::string& input, std::chrono::milliseconds timeout) {
  std::vector<std::string> argv = {"redis-cli", "-h", "127.0.0.1", "-p", std::to_string(port)};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunProcess(argv, input, timeout);
}

const char* ServerBinary() {
  const char* other = std::getenv("TIDEKV_SERVER_BIN");
  return other != nullptr && *other != '\0' ? other : TIDEKV_SERVER_BIN;
}

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base != nullptr && *base ? base : "/tmp") + "/tidekv-it-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) throw SystemError("mkdtemp " + pattern);
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

// ---- hiredis -------------------------------------------------------------------------

RedisConnection ConnectRedis(uint16_t port, std::chrono::milliseconds timeout) {
  timeval tv{};
  tv.tv_sec = timeout.count() / 1000;
  tv.tv_usec = (timeout.count() % 1000) * 1000;
  RedisConnection c(redisConnectWithTimeout("127.0.0.1", port, tv));
  if (c == nullptr) throw std::runtime_error("hiredis: cannot allocate a context");
  if (c->err != 0) {
    throw std::runtime_error("hiredis: connect to port " + std::to_string(port) + ": " + c->errstr);
  }
  // Without a read timeout a server that never answers would hang the test forever.
  redisSetTimeout(c.get(), tv);
  return c;
}

namespace {

void ToArgv(const std::vector<std::string>& argv, std::vector<const char*>* pointers,
            std::vector<size_t>* lengths) {
  for (const std::string& arg : argv) {
    pointers->push_back(arg.data());
    lengths->push_back(arg.size());
  }
}

}  // namespace

Reply Command(redisContext* c, const std::vector<std::string>& argv) {
  std::vector<const char*> pointers;
  std::vector<size_t> lengths;
  ToArgv(argv, &pointers, &lengths);
  return Reply(static_cast<redisReply*>(
      redisCommandArgv(c, static_cast<int>(argv.size()), pointers.data(), lengths.data())));
}

void AppendCommand(redisContext* c, const std::vector<std::string>& argv) {
  std::vector<const char*> pointers;
  std::vector<size_t> lengths;
  ToArgv(argv, &pointers, &lengths);
  if (redisAppendCommandArgv(c, static_cast<int>(argv.size()), pointers.data(), lengths.data()) !=
      REDIS_OK) {
    throw std::runtime_error(std::string("hiredis: append failed: ") + c->errstr);
  }
}

void SendCommand(redisContext* c, const std::vector<std::string>& argv) {
  AppendCommand(c, argv);
  int done = 0;
  while (!done) {
    if (redisBufferWrite(c, &done) != REDIS_OK) {
      throw std::runtime_error(std::string("hiredis: write failed: ") + c->errstr);
    }
  }
}

int64_t BlockedClients(redisContext* c) {
  const std::string n = InfoField(Call(c, {"INFO", "clients"}), "blocked_clients");
  if (n.empty()) throw std::runtime_error("INFO clients has no blocked_clients");
  return std::stoll(n);
}

void WaitBlockedClients(redisContext* c, int64_t n) {
  int64_t last = -1;
  if (!WaitFor([&] { return (last = BlockedClients(c)) == n; }, kWaitTimeout)) {
    throw std::runtime_error("blocked_clients never reached " + std::to_string(n) + " (is " +
                             std::to_string(last) + ")");
  }
}

Reply GetReply(redisContext* c) {
  void* reply = nullptr;
  if (redisGetReply(c, &reply) != REDIS_OK) return nullptr;
  return Reply(static_cast<redisReply*>(reply));
}

std::string Describe(const redisReply* r) {
  if (r == nullptr) return "(no reply)";
  switch (r->type) {
    case REDIS_REPLY_STATUS:
      return std::string(r->str, r->len);
    case REDIS_REPLY_ERROR:
      return "(error) " + std::string(r->str, r->len);
    case REDIS_REPLY_STRING:
      return std::string(r->str, r->len);
    case REDIS_REPLY_INTEGER:
      return "(integer) " + std::to_string(r->integer);
    case REDIS_REPLY_NIL:
      return "(nil)";
    case REDIS_REPLY_ARRAY: {
      std::string out = "[";
      for (size_t i = 0; i < r->elements; i++) {
        if (i > 0) out += ", ";
        out += Describe(r->element[i]);
      }
      return out + "]";
    }
  }
  return "(unknown reply type " + std::to_string(r->type) + ")";
}

std::string Call(redisContext* c, const std::vector<std::string>& argv) {
  Reply r = Command(c, argv);
  if (r == nullptr) return std::string("(connection error) ") + c->errstr;
  return Describe(r);
}

std::string InfoField(const std::string& info, const std::string& field) {
  std::istringstream lines(info);
  std::string line;
  while (std::getline(lines, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.compare(0, field.size() + 1, field + ":") == 0) return line.substr(field.size() + 1);
  }
  return "";
}

// ---- the server ----------------------------------------------------------------------

ServerProcess::ServerProcess(std::vector<std::string> args) {
  const std::filesystem::path data = dir() / "data";
  const std::filesystem::path log = dir() / "server.stderr";
  // DEBUG DIGEST compares datasets in most tests; a test of the default passes
  // --security.enable_debug_command no after it (the last flag wins).
  std::vector<std::string> argv = {
      ServerBinary(), "--port", "0",         "--dir",
      data.string(),  "--bind", "127.0.0.1", "--security.enable_debug_command",
      "yes"};
  argv.insert(argv.end(), args.begin(), args.end());

  int out_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) throw SystemError("pipe2");
  int err_fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (err_fd < 0) throw SystemError("open " + log.string());
  std::vector<char*> pointers = ArgvPointers(argv);
  pid_ = fork();
  if (pid_ < 0) throw SystemError("fork");
  if (pid_ == 0) ExecChild(pointers.data(), -1, out_pipe[1], err_fd);
  close(out_pipe[1]);
  close(err_fd);
  stdout_fd_ = out_pipe[0];

  // Read stdout up to the ready line. The server prints nothing else there, but accept
  // (and keep) anything before it so the failure message can show it.
  std::string out;
  const auto deadline = Clock::now() + kStartTimeout;
  const std::string marker = "tidekv-server ready: port=";
  while (out.find('\n') == std::string::npos) {
    pollfd pfd{stdout_fd_, POLLIN, 0};
    int ready = poll(&pfd, 1, MillisLeft(deadline));
    std::string why;
    if (ready == 0) why = "no ready line within " + std::to_string(kStartTimeout.count()) + " s";
    if (ready > 0) {
      char buf[4096];
      ssize_t n = read(stdout_fd_, buf, sizeof buf);
      if (n > 0) {
        out.append(buf, static_cast<size_t>(n));
        continue;
      }
      why = "stdout closed before the ready line";
    }
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) why = std::string("poll: ") + std::strerror(errno);
    Stop();
    throw std::runtime_error("tidekv-server did not start (" + why + ", exit code " +
                             std::to_string(exit_code_.value_or(-1)) + "); stdout:\n" + out +
                             "\nstderr:\n" + Log());
  }
  const size_t at = out.find(marker);
  if (at == std::string::npos) {
    Stop();
    throw std::runtime_error("unexpected first line on tidekv-server stdout: " + out);
  }
  port_ = static_cast<uint16_t>(std::atoi(out.c_str() + at + marker.size()));
  if (port_ == 0) {
    Stop();
    throw std::runtime_error("no port in the ready line: " + out);
  }
}

ServerProcess::~ServerProcess() {
  const bool was_running = running();
  const bool clean = Stop();
  // A server that ran to the end of the test must also stop cleanly: this is where a
  // sanitizer report (a leak found at exit, an error in a destructor) or a hang on shutdown
  // shows up. Reported through Catch because a destructor cannot throw.
  if (was_running && !clean) {
    const std::string log = Log();
    FAIL_CHECK("tidekv-server did not exit cleanly on SIGTERM (exit code "
               << exit_code_.value_or(-1) << "); last of its log:\n"
               << log.substr(log.size() > 4000 ? log.size() - 4000 : 0));
  }
}

bool ServerProcess::Stop() {
  bool clean = true;
  if (pid_ > 0 && running()) {
    kill(pid_, SIGTERM);
    std::optional<int> code = WaitExit(kExitTimeout);
    clean = code == 0;
    if (!code) {
      kill(pid_, SIGKILL);
      WaitExit(5s);
    }
  }
  if (stdout_fd_ >= 0) {
    close(stdout_fd_);
    stdout_fd_ = -1;
  }
  return clean;
}

std::string ServerProcess::Log() const {
  std::ifstream in(dir() / "server.stderr");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void ServerProcess::Signal(int signo) const {
  if (pid_ > 0 && running()) kill(pid_, signo);
}

std::optional<int> ServerProcess::WaitExit(std::chrono::milliseconds timeout) {
  if (!exit_code_) exit_code_ = WaitPid(pid_, Clock::now() + timeout);
  return exit_code_;
}

bool PortClosed(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw SystemError("socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int r = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  int err = errno;
  close(fd);
  return r != 0 && err == ECONNREFUSED;
}

}  // namespace tidekv::integration
