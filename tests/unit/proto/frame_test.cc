#include "proto/frame.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tidekv::proto {
namespace {

using namespace std::string_literals;

std::string Encode(uint64_t offset, int db, const std::vector<std::string>& args) {
  std::vector<std::string_view> views(args.begin(), args.end());
  std::string out;
  EncodeFrame(offset, db, views, &out);
  return out;
}

FrameStatus Decode(std::string_view buf, Frame* frame = nullptr, std::string* error = nullptr,
                   size_t max_args = 1u << 24, size_t max_arg_bytes = 1ull << 32) {
  Frame local;
  std::string err;
  return DecodeFrame(buf, frame ? frame : &local, error ? error : &err, max_args, max_arg_bytes);
}

void CheckRoundTrip(uint64_t offset, int db, const std::vector<std::string>& args) {
  const std::string bytes = Encode(offset, db, args);
  Frame frame;
  std::string error;
  REQUIRE(Decode(bytes, &frame, &error) == FrameStatus::kOk);
  CHECK(frame.offset == offset);
  CHECK(frame.db == db);
  CHECK(frame.size == bytes.size());
  REQUIRE(frame.argv.size() == args.size());
  for (size_t i = 0; i < args.size(); i++) {
    CHECK(frame.argv[i] == args[i]);
    // Views point into the buffer, not into copies.
    CHECK(frame.argv[i].data() >= bytes.data());
    CHECK(frame.argv[i].data() + frame.argv[i].size() <= bytes.data() + bytes.size());
  }
  // Every proper prefix is a frame cut short, never corruption.
  for (size_t n = 0; n < bytes.size(); n++) {
    INFO("prefix of " << n << " bytes");
    REQUIRE(Decode(std::string_view(bytes).substr(0, n)) == FrameStatus::kIncomplete);
  }
  // Trailing bytes (the next frame) are not part of this one.
  const std::string two = bytes + bytes;
  REQUIRE(Decode(two, &frame) == FrameStatus::kOk);
  CHECK(frame.size == bytes.size());
}

TEST_CASE("frame: exact encoding for db 0 and other dbs", "[frame]") {
  CHECK(Encode(7, 0, {"SET", "k", "v"}) == "*2\r\n:7\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n");
  CHECK(Encode(0, 3, {"DEL", "k"}) == "*3\r\n:0\r\n:3\r\n*2\r\n$3\r\nDEL\r\n$1\r\nk\r\n");
  CHECK(Encode(1, 0, {""}) == "*2\r\n:1\r\n*1\r\n$0\r\n\r\n");
}

TEST_CASE("frame: appends to what is already in the buffer", "[frame]") {
  std::string out = "prefix";
  const std::vector<std::string_view> argv = {"PING"};
  EncodeFrame(1, 0, argv, &out);
  EncodeFrame(2, 0, argv, &out);
  CHECK(out == "prefix*2\r\n:1\r\n*1\r\n$4\r\nPING\r\n*2\r\n:2\r\n*1\r\n$4\r\nPING\r\n");
}

TEST_CASE("frame: round trips", "[frame]") {
  CheckRoundTrip(0, 0, {"SET", "key", "value"});
  CheckRoundTrip(1, 1, {"SET", "key", "value", "PXAT", "1700000000000"});
  CheckRoundTrip(42, 15, {"DEL", "a", "b", "c"});
  CheckRoundTrip(9, 2147483647, {"FLUSHDB"});
  CheckRoundTrip(UINT64_MAX - 1, 0, {"INCR", "x"});
  CheckRoundTrip(UINT64_MAX, 7, {"INCR", "x"});
  CheckRoundTrip(10, 0, {"SET", "", ""});
  // Binary arguments: CR, LF, NUL, "\r\n$3\r\n" lookalikes, every byte value.
  std::string all;
  for (int c = 0; c < 256; c++) all.push_back(static_cast<char>(c));
  CheckRoundTrip(5, 0, {"SET", "a\r\nb\0c"s, "\r\n*2\r\n:1\r\n", all});
  CheckRoundTrip(6, 4, {std::string(100000, 'x')});
  std::vector<std::string> many(1000, "m");
  CheckRoundTrip(123456789, 0, many);
}

TEST_CASE("frame: a stream of frames decodes one after another", "[frame]") {
  std::string stream;
  for (uint64_t i = 0; i < 100; i++) {
    const std::string key = "k" + std::to_string(i);
    const std::vector<std::string_view> argv = {"SET", key, "v"};
    EncodeFrame(1000 + i, static_cast<int>(i % 3), argv, &stream);
  }
  std::string_view rest = stream;
  Frame frame;
  for (uint64_t i = 0; i < 100; i++) {
    REQUIRE(Decode(rest, &frame) == FrameStatus::kOk);
    CHECK(frame.offset == 1000 + i);
    CHECK(frame.db == static_cast<int>(i % 3));
    CHECK(frame.argv[1] == "k" + std::to_string(i));
    rest.remove_prefix(frame.size);
  }
  CHECK(rest.empty());
  CHECK(Decode(rest) == FrameStatus::kIncomplete);
}

TEST_CASE("frame: corruption is reported as such", "[frame]") {
  const char* corrupt[] = {
      "x",                                     // not an array
      "$2\r\n",                                // bulk instead of array
      "*1\r\n",                                // wrong element counts
      "*4\r\n",                                //
      "*0\r\n",                                //
      "*-1\r\n",                               //
      "*22\r\n",                               //
      "*2\n",                                  // missing CR
      "*2\r:",                                 // missing LF
      "*2\r\n$1\r\n",                          // offset is not an integer
      "*2\r\n*1\r\n",                          //
      "*2\r\n:\r\n",                           // empty number
      "*2\r\n:-1\r\n",                         // negative offset
      "*2\r\n:+1\r\n",                         // sign
      "*2\r\n:01\r\n",                         // leading zero
      "*2\r\n:1a\r\n",                         // non-digit
      "*2\r\n:1 \r\n",                         //
      "*2\r\n:18446744073709551616\r\n",       // offset overflows u64
      "*2\r\n:99999999999999999999\r\n",       //
      "*2\r\n:1\n",                            // missing CR after the offset
      "*2\r\n:1\rx",                           // missing LF after the offset
      "*2\r\n:1\r\n:2\r\n",                    // db in a two-element frame
      "*2\r\n:1\r\n$3\r\n",                    // argv is not an array
      "*2\r\n:1\r\n*0\r\n",                    // empty argv
      "*2\r\n:1\r\n*-1\r\n",                   // null / negative argv
      "*2\r\n:1\r\n*1\r\n:5\r\n",              // argument is not a bulk string
      "*2\r\n:1\r\n*1\r\n+OK\r\n",             //
      "*2\r\n:1\r\n*1\r\n$-1\r\n",             // null bulk
      "*2\r\n:1\r\n*1\r\n$-5\r\n",             // negative length
      "*2\r\n:1\r\n*1\r\n$x\r\n",              //
      "*2\r\n:1\r\n*1\r\n$01\r\na\r\n",        //
      "*2\r\n:1\r\n*1\r\n$1\r\nab\r\n",        // payload longer than its length
      "*2\r\n:1\r\n*1\r\n$1\r\na\n",           // missing CR after the payload
      "*2\r\n:1\r\n*1\r\n$1\r\na\rx",          // missing LF after the payload
      "*2\r\n:1\r\n*2\r\n$1\r\na\r\n:1\r\n",   // second argument not bulk
      "*3\r\n:1\r\n*1\r\n",                    // three elements but no db
      "*3\r\n:1\r\n:0\r\n",                    // db 0 must use the short form
      "*3\r\n:1\r\n:-1\r\n",                   // negative db
      "*3\r\n:1\r\n:2147483648\r\n",           // db beyond int
      "*3\r\n:1\r\n:00\r\n",                   //
      "*3\r\n:1\r\n:1\r\n:1\r\n",              // argv is not an array
      "*3\r\n:1\r\n:1\r\n*1\r\n$1\r\nab\r\n",  //
  };
  for (const char* bytes : corrupt) {
    INFO(bytes);
    std::string error;
    CHECK(Decode(bytes, nullptr, &error) == FrameStatus::kCorrupt);
    CHECK(!error.empty());
  }
}

TEST_CASE("frame: corruption is found as soon as it is seen", "[frame]") {
  // The decoder does not wait for a whole line or payload before calling bytes corrupt.
  CHECK(Decode("*4") == FrameStatus::kCorrupt);
  CHECK(Decode("*2\r\n:-") == FrameStatus::kCorrupt);
  CHECK(Decode("*2\r\n:0") == FrameStatus::kIncomplete);
  CHECK(Decode("*2\r\n:00") == FrameStatus::kCorrupt);
  CHECK(Decode("*2\r\n:1844674407370955161") == FrameStatus::kIncomplete);
  CHECK(Decode("*2\r\n:1844674407370955161\r") == FrameStatus::kIncomplete);
  CHECK(Decode("*2\r\n:18446744073709551616") == FrameStatus::kCorrupt);
  CHECK(Decode("*2\r\n:1\r\n*1\r\n$5\r\nab") == FrameStatus::kIncomplete);
  CHECK(Decode("*2\r\n:1\r\n*1\r\n$2\r\nab\r") == FrameStatus::kIncomplete);
  CHECK(Decode("*2\r\n:1\r\n*1\r\n$2\r\nabc") == FrameStatus::kCorrupt);
}

TEST_CASE("frame: limits on argument count and size", "[frame]") {
  const std::string bytes = Encode(1, 0, {"SET", "key", "value"});
  CHECK(Decode(bytes, nullptr, nullptr, 3, 5) == FrameStatus::kOk);
  std::string error;
  CHECK(Decode(bytes, nullptr, &error, 2, 5) == FrameStatus::kCorrupt);
  CHECK(error.find("argument count") != std::string::npos);
  CHECK(Decode(bytes, nullptr, &error, 3, 4) == FrameStatus::kCorrupt);
  CHECK(error.find("argument length") != std::string::npos);
  // A huge declared length is rejected before anything is read or allocated.
  CHECK(Decode("*2\r\n:1\r\n*1\r\n$99999999999\r\n", nullptr, nullptr) == FrameStatus::kCorrupt);
  CHECK(Decode("*2\r\n:1\r\n*99999999\r\n", nullptr, nullptr) == FrameStatus::kCorrupt);
  // A large but allowed count does not make the decoder reserve for it.
  Frame frame;
  CHECK(Decode("*2\r\n:1\r\n*16777216\r\n$1\r\na\r\n", &frame) == FrameStatus::kIncomplete);
  CHECK(frame.argv.capacity() < 1000);
}

}  // namespace
}  // namespace tidekv::proto
