// Steps for the Redis compatibility tests (redis_compat_test.cc, redis_compat_server_test.cc):
// a command and the exact reply redis-server 7.0.15 gave, and the helpers that send the
// steps to tidekv over hiredis and compare the replies.
//
// Not thread-safe: one test thread owns each connection.
#pragma once

#include <catch2/catch.hpp>
#include <cctype>
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "tests/integration/server_process.h"

namespace tidekv::integration {

// One command and its reply, written as Resp() describes it.
struct Step {
  std::vector<std::string> argv;
  std::string_view expected;
};

// A reply with its RESP2 type: "+OK" (status), "-ERR ..." (error), ":1" (integer),
// "$text" (bulk string, "$" when empty), "(nil)", "*[a, b]" (array). Unlike Describe, it
// tells a status from a bulk string and an empty string from nil.
inline std::string Resp(const redisReply* r) {
  if (r == nullptr) return "(no reply)";
  switch (r->type) {
    case REDIS_REPLY_STATUS:
      return "+" + std::string(r->str, r->len);
    case REDIS_REPLY_ERROR:
      return "-" + std::string(r->str, r->len);
    case REDIS_REPLY_STRING:
      return "$" + std::string(r->str, r->len);
    case REDIS_REPLY_INTEGER:
      return ":" + std::to_string(r->integer);
    case REDIS_REPLY_NIL:
      return "(nil)";
    case REDIS_REPLY_ARRAY: {
      std::string out = "*[";
      for (size_t i = 0; i < r->elements; i++) {
        if (i > 0) out += ", ";
        out += Resp(r->element[i]);
      }
      return out + "]";
    }
  }
  return "(unknown reply type " + std::to_string(r->type) + ")";
}

inline std::string RespCall(redisContext* c, const std::vector<std::string>& argv) {
  Reply r = Command(c, argv);
  if (r == nullptr) return std::string("(connection error) ") + c->errstr;
  return Resp(r.get());
}

inline bool EqualsWord(const std::string& a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); i++) {
    if (std::toupper(static_cast<unsigned char>(a[i])) != b[i]) return false;
  }
  return true;
}

inline std::string Joined(const std::vector<std::string>& argv) {
  std::string out;
  for (const std::string& a : argv) {
    if (!out.empty()) out += ' ';
    out += a;
  }
  return out;
}

// Whether `got` is an acceptable reply to a TTL or PTTL step recorded as a positive
// `expected` when up to `elapsed` may have passed since the TTL was set. The recording
// assumes no time passed (Redis rounds TTL to the nearest second, so e.g. PEXPIRE 1900 ->
// TTL 2 holds for 400 ms): while less than 400 ms passed the reply must be exact; on a
// machine slow enough to take longer, any value the elapsed time allows is accepted, so the
// test never depends on the machine's speed.
inline bool TtlReplyFits(const Step& step, const std::string& got,
                         std::chrono::milliseconds elapsed) {
  if (got == step.expected) return true;
  const bool ttl = EqualsWord(step.argv[0], "TTL");
  const bool pttl = EqualsWord(step.argv[0], "PTTL");
  if ((!ttl && !pttl) || step.expected.size() < 2 || step.expected[0] != ':' || got.size() < 2 ||
      got[0] != ':' || elapsed < std::chrono::milliseconds(400)) {
    return false;
  }
  const long long want = std::stoll(std::string(step.expected.substr(1)));
  const long long have = std::stoll(got.substr(1));
  if (want <= 0) return false;
  const long long slack = pttl ? elapsed.count() + 1 : elapsed.count() / 1000 + 2;
  return have <= want && have >= want - slack;
}

// Runs the steps in order on the connection as it is and checks every reply.
template <size_t N>
void CheckSteps(redisContext* c, const Step (&steps)[N]) {
  const auto start = Clock::now();
  for (const Step& step : steps) {
    INFO(Joined(step.argv));
    const std::string got = RespCall(c, step.argv);
    const auto elapsed =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
    INFO("expected " << step.expected << ", got " << got << " after " << elapsed.count() << " ms");
    CHECK(TtlReplyFits(step, got, elapsed));
  }
}

// Runs the steps in order on a fresh database 0 and checks every reply.
template <size_t N>
void RunSteps(redisContext* c, const Step (&steps)[N]) {
  REQUIRE(RespCall(c, {"FLUSHALL"}) == "+OK");
  REQUIRE(RespCall(c, {"SELECT", "0"}) == "+OK");
  CheckSteps(c, steps);
}

}  // namespace tidekv::integration
