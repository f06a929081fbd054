// tidekv-noop-server PORT: the floor under any Redis-protocol server's CPU per request.
//
// Answers every inline request line ("PING\r\n", as redis-benchmark's ping_inline sends it)
// with +PONG and does nothing else: one epoll loop, level-triggered, one read and one write
// per readiness, as Redis's own loop does. What it costs per request under
// `redis-benchmark -P 1` is the kernel's share (system calls, TCP on loopback) that no server
// design built on socket reads and writes avoids; tests/bench/syscall-floor.sh compares it
// with redis-server and tidekv-server. A benchmark tool, not part of the product.
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

int ListenOn(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      listen(fd, 512) != 0) {
    std::perror("tidekv-noop-server: listen");
    std::exit(1);
  }
  return fd;
}

void Watch(int epoll, int fd) {
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.fd = fd;
  epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event);
}

void AcceptAll(int epoll, int listener) {
  for (int fd; (fd = accept4(listener, nullptr, nullptr, SOCK_NONBLOCK)) >= 0;) {
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    Watch(epoll, fd);
  }
}

// One read, one +PONG per line in it, one write.
void Serve(int fd, std::string& out) {
  std::array<char, 16384> in;
  const ssize_t n = read(fd, in.data(), in.size());
  if (n <= 0) {
    if (n == 0 || errno != EAGAIN) close(fd);
    return;
  }
  out.clear();
  for (ssize_t i = 0; i < n; i++) {
    if (in[i] == '\n') out += "+PONG\r\n";
  }
  if (!out.empty() && write(fd, out.data(), out.size()) < 0) close(fd);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: tidekv-noop-server PORT\n");
    return 2;
  }
  const int listener = ListenOn(std::atoi(argv[1]));
  const int epoll = epoll_create1(0);
  Watch(epoll, listener);
  std::array<epoll_event, 1024> events;
  std::string out;
  for (;;) {
    const int ready = epoll_wait(epoll, events.data(), static_cast<int>(events.size()), -1);
    for (int i = 0; i < ready; i++) {
      const int fd = events[i].data.fd;
      if (fd == listener) {
        AcceptAll(epoll, listener);
      } else {
        Serve(fd, out);
      }
    }
  }
}
