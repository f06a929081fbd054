// tidekv-multi-bench: MULTI/EXEC throughput, which redis-benchmark cannot measure (it sends
// one command per request). Each of -c connections sends -P transactions at a time, each
// MULTI, INCR a, INCR b, INCR c, EXEC on random keys of a -r keyspace, and checks every EXEC
// reply (three integers). Prints "transactions/s" as one number, the way vs-redis.sh reads
// redis-benchmark's CSV; exits non-zero on any error reply or connection failure.
//
//   tidekv-multi-bench -p 6379 -c 50 -n 100000 -P 1 -r 100000
#include <hiredis/hiredis.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

struct Options {
  int port = 6379;
  int clients = 50;
  long transactions = 100000;
  int pipeline = 1;
  long keyspace = 100000;
};

bool ParseArgs(int argc, char** argv, Options* o) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const long v = std::strtol(argv[i + 1], nullptr, 10);
    if (v <= 0) return false;
    if (flag == "-p") {
      o->port = static_cast<int>(v);
    } else if (flag == "-c") {
      o->clients = static_cast<int>(v);
    } else if (flag == "-n") {
      o->transactions = v;
    } else if (flag == "-P") {
      o->pipeline = static_cast<int>(v);
    } else if (flag == "-r") {
      o->keyspace = v;
    } else {
      return false;
    }
  }
  return argc % 2 == 1;
}

// One connection's loop: takes batches of transactions from `left` until none are left.
// Returns an error text, empty on success.
std::string RunClient(const Options& o, std::atomic<long>* left, unsigned seed) {
  redisContext* c = redisConnect("127.0.0.1", o.port);
  if (c == nullptr || c->err != 0) {
    std::string e = c != nullptr ? c->errstr : "cannot allocate";
    if (c != nullptr) redisFree(c);
    return "connect: " + e;
  }
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<long> pick(0, o.keyspace - 1);
  std::string error;
  while (error.empty()) {
    const long taken = left->fetch_sub(o.pipeline);
    if (taken <= 0) break;
    const long batch = std::min<long>(taken, o.pipeline);
    for (long t = 0; t < batch; t++) {
      redisAppendCommand(c, "MULTI");
      for (int k = 0; k < 3; k++) {
        redisAppendCommand(c, "INCR counter:%ld", pick(rng));
      }
      redisAppendCommand(c, "EXEC");
    }
    for (long r = 0; r < batch * 5 && error.empty(); r++) {
      void* raw = nullptr;
      if (redisGetReply(c, &raw) != REDIS_OK) {
        error = std::string("read: ") + c->errstr;
        break;
      }
      auto* reply = static_cast<redisReply*>(raw);
      if (reply->type == REDIS_REPLY_ERROR) {
        error = std::string("error reply: ") + reply->str;
      } else if (r % 5 == 4 && (reply->type != REDIS_REPLY_ARRAY || reply->elements != 3 ||
                                reply->element[0]->type != REDIS_REPLY_INTEGER)) {
        error = "EXEC did not reply three integers";
      }
      freeReplyObject(reply);
    }
  }
  redisFree(c);
  return error;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!ParseArgs(argc, argv, &o)) {
    std::fprintf(stderr,
                 "usage: %s [-p port] [-c clients] [-n transactions] [-P pipeline] "
                 "[-r keyspace]\n",
                 argv[0]);
    return 2;
  }
  std::atomic<long> left{o.transactions};
  std::vector<std::string> errors(static_cast<size_t>(o.clients));
  std::vector<std::thread> threads;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < o.clients; i++) {
    threads.emplace_back([&, i] {
      errors[static_cast<size_t>(i)] = RunClient(o, &left, 12345u + static_cast<unsigned>(i));
    });
  }
  for (std::thread& t : threads) t.join();
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (const std::string& e : errors) {
    if (!e.empty()) {
      std::fprintf(stderr, "tidekv-multi-bench: %s\n", e.c_str());
      return 1;
    }
  }
  std::printf("%.2f\n", static_cast<double>(o.transactions) / secs);
  return 0;
}
