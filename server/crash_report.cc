#include "server/crash_report.h"

#include <execinfo.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <iterator>

#include "common/version.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define TIDEKV_SANITIZER_BUILD 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
    __has_feature(undefined_behavior_sanitizer)
#define TIDEKV_SANITIZER_BUILD 1
#endif
#endif

namespace tidekv::server {
namespace {

constexpr int kFatalSignals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
constexpr int kMaxFrames = 64;
// The handler runs here, so a stack overflow can still be reported.
constexpr size_t kAltStackBytes = 64 * 1024;

int log_fd = -1;
volatile sig_atomic_t reporting = 0;

// Formatting without stdio: the handler may run with the allocator's lock held.
class Line {
 public:
  Line& Text(const char* s) {
    while (*s != '\0' && used_ < sizeof(buf_)) buf_[used_++] = *s++;
    return *this;
  }
  Line& Text(std::string_view s) {
    for (char c : s) {
      if (used_ == sizeof(buf_)) break;
      buf_[used_++] = c;
    }
    return *this;
  }
  Line& Number(uint64_t v, unsigned base = 10) {
    char digits[24];
    int n = 0;
    do {
      digits[n++] = "0123456789abcdef"[v % base];
      v /= base;
    } while (v != 0 && n < static_cast<int>(sizeof(digits)));
    if (base == 16) Text("0x");
    while (n > 0 && used_ < sizeof(buf_)) buf_[used_++] = digits[--n];
    return *this;
  }
  void WriteTo(int fd) const {
    size_t done = 0;
    while (done < used_) {
      ssize_t w = write(fd, buf_ + done, used_ - done);
      if (w <= 0) return;
      done += static_cast<size_t>(w);
    }
  }

 private:
  char buf_[256];
  size_t used_ = 0;
};

void Emit(const Line& line) {
  line.WriteTo(STDERR_FILENO);
  if (log_fd >= 0) line.WriteTo(log_fd);
}

const char* SignalName(int signo) {
  switch (signo) {
    case SIGSEGV:
      return "SIGSEGV";
    case SIGBUS:
      return "SIGBUS";
    case SIGFPE:
      return "SIGFPE";
    case SIGILL:
      return "SIGILL";
    case SIGABRT:
      return "SIGABRT";
    default:
      return "signal";
  }
}

[[maybe_unused]] void OnFatalSignal(int signo, siginfo_t* info, void*) {
  // A second fault while reporting (or in another thread) goes straight to the default
  // action, which SA_RESETHAND restored for this signal.
  if (reporting == 0) {
    reporting = 1;
    Emit(Line()
             .Text("\n=== tidekv ")
             .Text(kVersion)
             .Text(" crashed: ")
             .Text(SignalName(signo))
             .Text(" (signal ")
             .Number(static_cast<uint64_t>(signo))
             .Text(") at address ")
             .Number(reinterpret_cast<uintptr_t>(info != nullptr ? info->si_addr : nullptr), 16)
             .Text(", pid ")
             .Number(static_cast<uint64_t>(getpid()))
             .Text(", thread ")
             .Number(static_cast<uint64_t>(syscall(SYS_gettid)))
             .Text(" ===\n"));
    void* frames[kMaxFrames];
    const int n = backtrace(frames, kMaxFrames);
    backtrace_symbols_fd(frames, n, STDERR_FILENO);
    if (log_fd >= 0) backtrace_symbols_fd(frames, n, log_fd);
    Emit(Line().Text("=== end of crash report (c++filt demangles the names) ===\n"));
  }
  // Default action: the process dies by this signal, with its usual exit status.
  signal(signo, SIG_DFL);
  raise(signo);
}

}  // namespace

void InstallCrashReport(const std::string& log_file) {
#ifdef TIDEKV_SANITIZER_BUILD
  (void)log_file;
#else
  if (!log_file.empty()) log_fd = open(log_file.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  // backtrace() loads libgcc's unwinder on first use (dlopen, malloc): do that now.
  void* warm[2];
  backtrace(warm, static_cast<int>(std::size(warm)));

  static char alt_stack[kAltStackBytes];
  stack_t ss{};
  ss.ss_sp = alt_stack;
  ss.ss_size = sizeof(alt_stack);
  sigaltstack(&ss, nullptr);

  struct sigaction sa {};
  sa.sa_sigaction = OnFatalSignal;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESETHAND | SA_NODEFER;
  sigemptyset(&sa.sa_mask);
  for (int signo : kFatalSignals) sigaction(signo, &sa, nullptr);
#endif
}

}  // namespace tidekv::server
