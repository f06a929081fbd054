// Helpers for the hash and set tests (collections_test.cc): what a client observes about a
// key — TYPE, OBJECT ENCODING, PEXPIRETIME and its whole contents — read through hiredis
// into a Snapshot, models of what a test wrote, and the differences between two snapshots as
// text that names the key, database and first differing field or member.
//
// PEXPIRETIME is an absolute time, so two snapshots taken at different moments (before and
// after a restart) or on different nodes (primary and replica) agree exactly. Failures are
// reported by throwing std::runtime_error, like the other helpers here. Not thread-safe:
// one test thread owns each connection.
#pragma once

#include <hiredis/hiredis.h>

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tidekv::integration {

// One key as a client observes it.
struct KeyState {
  std::string type;                           // TYPE: "hash", "set", "string", "none"
  std::string encoding;                       // OBJECT ENCODING ("" in a model: not compared)
  int64_t expire_at = -1;                     // PEXPIRETIME: -1 without a TTL, -2 no key
  std::map<std::string, std::string> fields;  // a hash's fields and values (HGETALL)
  std::set<std::string> members;              // a set's members (SMEMBERS)
  std::string value;                          // a string's value (GET)
  // HLEN or SCARD as the server answered it (read only, never modelled): a count that
  // disagrees with the contents, or contents that named an element twice, is a difference.
  int64_t length = 0;
  size_t elements_read = 0;  // fields or members in the HGETALL/SMEMBERS reply, repeats included
};

using KeyRef = std::pair<int, std::string>;  // database, key
using Snapshot = std::map<KeyRef, KeyState>;

// In a model's expire_at: the key has some TTL whose exact time the test does not know (it
// was set with a relative EXPIRE).
inline constexpr int64_t kAnyTtl = 0;

// Models.
KeyState HashState(std::map<std::string, std::string> fields, std::string encoding,
                   int64_t expire_at = -1);
KeyState SetState(std::set<std::string> members, std::string encoding, int64_t expire_at = -1);
KeyState StringState(std::string value);
KeyState Absent();

// Reads `keys` (SELECTing each one's database; the connection is left on database 0).
Snapshot ReadKeys(redisContext* c, const std::vector<KeyRef>& keys);
std::vector<KeyRef> KeysOf(const Snapshot& snapshot);

// `s` with its encodings blanked (so Differences does not compare them) where `model`
// leaves them blank, or everywhere.
Snapshot EncodingsAsIn(Snapshot s, const Snapshot& model);
Snapshot WithoutEncodings(Snapshot s);

// The differences of `got` from `want`, one line each, at most ten ("" when there are
// none). Encodings are compared only where `want` has one; kAnyTtl in `want` accepts any
// TTL. Also reports keys of `got` whose HLEN/SCARD disagrees with their contents.
std::string Differences(const Snapshot& want, const Snapshot& got);

// Runs one command and requires an answer that is not an error (naming the command when
// it is one).
void Ok(redisContext* c, const std::vector<std::string>& argv);

// Sends commands pipelined; throws naming the first one that answered an error.
void RunAllOk(redisContext* c, const std::vector<std::vector<std::string>>& commands);

// Bytes for a failure message: printable ASCII as is, anything else as \xNN, cut at 60.
std::string Printable(std::string_view bytes);
// A command for a failure message, each argument Printable, cut after about 120 characters.
std::string ShowCommand(const std::vector<std::string>& argv);

}  // namespace tidekv::integration
