// Steps for the Redis compatibility tests (redis_compat_test.cc, redis_compat_server_test.cc):
// a command and the exact reply redis-server 7.0.15 gave, and the helpers that send the
// steps to tidekv over hiredis and compare the replies.
//
// Not thread-safe: one test thread owns each connection.
#pragma once

#include <catch2/catch.hpp>
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

inline std::string Joined(const std::vector<std::string>& argv) {
  std::string out;
  for (const std::string& a : argv) {
    if (!out.empty()) out += ' ';
    out += a;
  }
  return out;
}

// Runs the steps in order on the connection as it is and checks every reply.
template <size_t N>
void CheckSteps(redisContext* c, const Step (&steps)[N]) {
  for (const Step& step : steps) {
    INFO(Joined(step.argv));
    CHECK(RespCall(c, step.argv) == step.expected);
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
