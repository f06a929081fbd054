// Encoding and decoding of trace headers and records, in memory.
#include "trace/format.h"

#include <catch2/catch.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/crc32c.h"
#include "tests/unit/trace/test_util.h"

namespace tidekv::trace {
namespace {

using testing::Command;
using testing::EveryType;
using testing::Lifecycle;
using testing::Nested;
using testing::SampleHeader;

void PutU32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; i++) out->push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

// A header with the given version and body and a correct checksum.
std::string RawHeader(uint32_t version, std::string_view body) {
  std::string covered;
  PutU32(&covered, version);
  PutU32(&covered, static_cast<uint32_t>(body.size()));
  covered.append(body);
  std::string out(kMagic);
  out += covered;
  PutU32(&out, Crc32c(covered));
  return out;
}

// A record around the given payload, with a correct checksum.
std::string RawRecord(std::string_view payload) {
  std::string out;
  PutU32(&out, static_cast<uint32_t>(payload.size()));
  PutU32(&out, Crc32c(payload));
  out.append(payload);
  return out;
}

std::string Encode(const Record& record) {
  std::string out;
  EncodeRecord(record, &out);
  return out;
}

std::string HeaderError(std::string_view bytes) {
  Header header;
  size_t consumed = 0;
  std::string error;
  REQUIRE(DecodeHeader(bytes, &header, &consumed, &error) == DecodeStatus::kCorrupt);
  return error;
}

std::string RecordError(std::string_view bytes) {
  Record record;
  size_t consumed = 0;
  std::string error;
  REQUIRE(DecodeRecord(bytes, &record, &consumed, &error) == DecodeStatus::kCorrupt);
  return error;
}

constexpr std::string_view kGoodBody =
    "server_version=1\nstart_unix_ms=5\nstart_mono_ns=6\nempty_at_start=1\n";

TEST_CASE("header round trip", "[trace][header]") {
  for (Header header : {SampleHeader(), Header{}}) {
    const std::string bytes = EncodeHeader(header);
    REQUIRE(bytes.substr(0, 8) == "TIDETRC1");
    Header decoded;
    size_t consumed = 0;
    std::string error;
    REQUIRE(DecodeHeader(bytes + "extra", &decoded, &consumed, &error) == DecodeStatus::kOk);
    CHECK(consumed == bytes.size());
    CHECK(decoded == header);
  }
  Header negative = SampleHeader();
  negative.start_unix_ms = -1;
  negative.start_mono_ns = INT64_MIN;
  Header decoded;
  size_t consumed = 0;
  std::string error;
  REQUIRE(DecodeHeader(EncodeHeader(negative), &decoded, &consumed, &error) == DecodeStatus::kOk);
  CHECK(decoded == negative);
}

TEST_CASE("every prefix of a header is incomplete", "[trace][header]") {
  const std::string bytes = EncodeHeader(SampleHeader());
  for (size_t n = 0; n < bytes.size(); n++) {
    Header header;
    size_t consumed = 0;
    std::string error;
    INFO("prefix " << n);
    CHECK(DecodeHeader(std::string_view(bytes).substr(0, n), &header, &consumed, &error) ==
          DecodeStatus::kIncomplete);
  }
}

TEST_CASE("header errors say what is wrong", "[trace][header]") {
  SECTION("bad magic, even on a short prefix") {
    CHECK(HeaderError("TIDETRC2....") == "not a tidekv trace file (bad magic)");
    CHECK(HeaderError("*1\r\n") == "not a tidekv trace file (bad magic)");
  }
  SECTION("unknown version") {
    CHECK(HeaderError(RawHeader(7, kGoodBody)) ==
          "trace format version 7 is not supported; this build reads 1 to 2");
    CHECK(HeaderError(RawHeader(0, kGoodBody)) ==
          "trace format version 0 is not supported; this build reads 1 to 2");
    Header header = SampleHeader();
    header.version = 3;
    CHECK(HeaderError(EncodeHeader(header)) ==
          "trace format version 3 is not supported; this build reads 1 to 2");
  }
  SECTION("checksum") {
    std::string bytes = EncodeHeader(SampleHeader());
    bytes[20] ^= 0x01;  // inside the body
    CHECK(HeaderError(bytes) == "header checksum mismatch");
    bytes = EncodeHeader(SampleHeader());
    bytes.back() ^= 0x80;  // the crc itself
    CHECK(HeaderError(bytes) == "header checksum mismatch");
  }
  SECTION("a huge body length is refused before waiting for it") {
    std::string bytes(kMagic);
    PutU32(&bytes, kFormatVersion);
    PutU32(&bytes, 0xFFFFFFFFu);
    CHECK_THAT(HeaderError(bytes), Catch::Contains("body of 4294967295 bytes exceeds"));
  }
  SECTION("malformed bodies") {
    CHECK_THAT(HeaderError(RawHeader(1, "")), Catch::Contains("missing server_version"));
    CHECK_THAT(HeaderError(RawHeader(1, "server_version=1\nstart_unix_ms=5\nstart_mono_ns=6\n")),
               Catch::Contains("missing empty_at_start"));
    CHECK_THAT(HeaderError(RawHeader(1, std::string(kGoodBody) + "no equals sign\n")),
               Catch::Contains("line 5 is not key=value"));
    CHECK_THAT(HeaderError(RawHeader(1, std::string(kGoodBody) + "config.x=1")),
               Catch::Contains("line 5 is not newline-terminated"));
    CHECK_THAT(HeaderError(RawHeader(1, std::string(kGoodBody) + "start_mono_ns=7\n")),
               Catch::Contains("start_mono_ns appears twice"));
    CHECK_THAT(HeaderError(RawHeader(
                   1, "server_version=1\nstart_unix_ms=12x\nstart_mono_ns=6\nempty_at_start=1\n")),
               Catch::Contains("start_unix_ms is not an integer: '12x'"));
    CHECK_THAT(HeaderError(RawHeader(
                   1, "server_version=1\nstart_unix_ms=1\nstart_mono_ns=6\nempty_at_start=yes\n")),
               Catch::Contains("empty_at_start must be 0 or 1"));
  }
}

TEST_CASE("this build writes format 2 and still reads format 1", "[trace][header]") {
  CHECK(kFormatVersion == 2);
  CHECK(kMinFormatVersion == 1);
  CHECK(Header{}.version == 2);
  const std::string bytes = EncodeHeader(Header{});
  CHECK(bytes.substr(8, 4) == std::string("\x02\0\0\0", 4));
  for (uint32_t version : {1u, 2u}) {
    Header header;
    size_t consumed = 0;
    std::string error;
    INFO("version " << version);
    REQUIRE(DecodeHeader(RawHeader(version, kGoodBody), &header, &consumed, &error) ==
            DecodeStatus::kOk);
    CHECK(header.version == version);
  }
}

TEST_CASE("header: unknown keys are ignored, config keys kept in order", "[trace][header]") {
  const std::string body =
      "future_key=whatever\nconfig.b=2\nserver_version=9.9 = beta\nstart_unix_ms=-3\n"
      "config.a=x=y\nstart_mono_ns=0\nempty_at_start=0\nconfig.=\n";
  Header header;
  size_t consumed = 0;
  std::string error;
  REQUIRE(DecodeHeader(RawHeader(1, body), &header, &consumed, &error) == DecodeStatus::kOk);
  CHECK(header.server_version == "9.9 = beta");
  CHECK(header.start_unix_ms == -3);
  CHECK(header.start_mono_ns == 0);
  CHECK_FALSE(header.empty_at_start);
  using Config = std::vector<std::pair<std::string, std::string>>;
  CHECK(header.config == Config{{"b", "2"}, {"a", "x=y"}, {"", ""}});
}

TEST_CASE("record round trip for every type", "[trace][record]") {
  std::string stream;
  const std::vector<Record> records = EveryType();
  for (const Record& record : records) EncodeRecord(record, &stream);

  std::string_view rest = stream;
  for (const Record& expected : records) {
    Record decoded;
    decoded.detail = "stale";  // fields of another type must not leak through
    decoded.argv = {"stale"};
    decoded.reply = "stale";
    size_t consumed = 0;
    std::string error;
    REQUIRE(DecodeRecord(rest, &decoded, &consumed, &error) == DecodeStatus::kOk);
    CHECK(decoded == expected);
    CHECK(rest.substr(0, consumed) == Encode(expected));
    rest.remove_prefix(consumed);
  }
  CHECK(rest.empty());
}

TEST_CASE("record round trip with a 1 MiB value and reply", "[trace][record]") {
  std::string value(1 << 20, '\0');
  for (size_t i = 0; i < value.size(); i++) value[i] = static_cast<char>(i * 131 + 7);
  const Record record =
      Command(42, {"SET", "big", value}, "$" + std::to_string(value.size()) + "\r\n" + value);
  const std::string bytes = Encode(record);
  Record decoded;
  size_t consumed = 0;
  std::string error;
  REQUIRE(DecodeRecord(bytes, &decoded, &consumed, &error) == DecodeStatus::kOk);
  CHECK(consumed == bytes.size());
  CHECK(decoded == record);
}

TEST_CASE("EncodeCommandRecord gives the same bytes as EncodeRecord", "[trace][record]") {
  size_t checked = 0;
  for (const Record& record : EveryType()) {
    if (!CarriesCommand(record.type)) continue;
    const std::vector<std::string_view> views(record.argv.begin(), record.argv.end());
    std::string out = "prefix";  // appends, like EncodeRecord
    EncodeCommandRecord(record.type, record.id, record.connection, record.mono_ns, record.wall_us,
                        record.db, views, record.reply, &out);
    CHECK(out == "prefix" + Encode(record));
    checked++;
  }
  CHECK(checked == 6);  // four commands, two nested
}

TEST_CASE("a nested record is a command record with its own type byte", "[trace][record]") {
  const Record command = Command(21, {"INCR", "k"}, ":3\r\n");
  const Record nested = Nested(21, {"INCR", "k"}, ":3\r\n");
  const std::string a = Encode(command);
  const std::string b = Encode(nested);
  REQUIRE(a.size() == b.size());
  CHECK(a.substr(16) == b.substr(16));  // after length, crc and type: the same layout
  CHECK(a[8] == 1);
  CHECK(b[8] == 8);
  Record decoded;
  size_t consumed = 0;
  std::string error;
  REQUIRE(DecodeRecord(b, &decoded, &consumed, &error) == DecodeStatus::kOk);
  CHECK(decoded.type == RecordType::kNested);
  CHECK(decoded == nested);
  CHECK(decoded.detail.empty());
  CHECK(CarriesCommand(RecordType::kNested));
  CHECK(CarriesCommand(RecordType::kCommand));
  CHECK_FALSE(CarriesCommand(RecordType::kConnect));
  CHECK_FALSE(CarriesCommand(RecordType::kReplicated));

  // Format 1 has no nested records: one in a version-1 file is damage, named as such.
  Record v1;
  CHECK(DecodeRecord(b, &v1, &consumed, &error, 1) == DecodeStatus::kCorrupt);
  CHECK(error == "record type 8 (nested) does not exist in format version 1");
  error.clear();
  REQUIRE(DecodeRecord(a, &v1, &consumed, &error, 1) == DecodeStatus::kOk);
  CHECK(v1 == command);
}

TEST_CASE("every prefix of a record is incomplete, never corrupt", "[trace][record]") {
  for (const Record& record : EveryType()) {
    const std::string bytes = Encode(record);
    for (size_t n = 0; n < bytes.size(); n++) {
      Record decoded;
      size_t consumed = 0;
      std::string error;
      INFO("record " << record.id << " prefix " << n);
      CHECK(DecodeRecord(std::string_view(bytes).substr(0, n), &decoded, &consumed, &error) ==
            DecodeStatus::kIncomplete);
    }
  }
}

TEST_CASE("record corruption", "[trace][record]") {
  const Record sample = Command(5, {"GET", "k"}, "$-1\r\n");
  const std::string good = Encode(sample);
  const std::string payload = good.substr(8);

  SECTION("any flipped payload byte fails the checksum") {
    for (size_t i = 8; i < good.size(); i++) {
      std::string bad = good;
      bad[i] ^= 0x10;
      INFO("byte " << i);
      CHECK(RecordError(bad) == "checksum mismatch");
    }
  }
  SECTION("a huge length is corruption at once, without waiting for or allocating it") {
    std::string bad;
    PutU32(&bad, kMaxRecordBytes + 1);
    PutU32(&bad, 0);
    CHECK_THAT(RecordError(bad), Catch::Contains("length 1073741825 exceeds the limit"));
    bad.clear();
    PutU32(&bad, 0xFFFFFFFFu);
    CHECK_THAT(RecordError(bad), Catch::Contains("exceeds the limit"));
  }
  SECTION("unknown types") {
    for (uint8_t type : {uint8_t{0}, uint8_t{9}, uint8_t{255}}) {
      std::string p = payload;
      p[0] = static_cast<char>(type);
      CHECK(RecordError(RawRecord(p)) == "unknown record type " + std::to_string(type));
    }
  }
  SECTION("layouts that do not parse") {
    CHECK_THAT(RecordError(RawRecord("")), Catch::Contains("shorter than the 37-byte"));
    CHECK_THAT(RecordError(RawRecord(payload.substr(0, 36))), Catch::Contains("shorter"));
    // Fixed part only: the argument count is missing.
    CHECK_THAT(RecordError(RawRecord(payload.substr(0, 37))),
               Catch::Contains("argument count does not fit"));
    std::string p = payload.substr(0, 37);
    PutU32(&p, 0x40000000);  // a billion arguments in a few bytes
    CHECK_THAT(RecordError(RawRecord(p)), Catch::Contains("argument count does not fit"));
    p = payload.substr(0, 37);
    PutU32(&p, 1);
    PutU32(&p, 100);
    p += "abc";
    CHECK_THAT(RecordError(RawRecord(p)), Catch::Contains("argument 0 runs past the end"));
    p = payload.substr(0, 37);
    PutU32(&p, 0);  // no reply length
    CHECK_THAT(RecordError(RawRecord(p)), Catch::Contains("reply runs past the end"));
    CHECK(RecordError(RawRecord(payload + "x")) == "payload has 1 trailing bytes");

    std::string connect = Encode(Lifecycle(RecordType::kConnect, 1, "addr=x")).substr(8);
    CHECK_THAT(RecordError(RawRecord(connect.substr(0, 39))), Catch::Contains("detail runs"));
    CHECK_THAT(RecordError(RawRecord(connect + "zz")), Catch::Contains("2 trailing bytes"));
  }
}

TEST_CASE("record type names", "[trace]") {
  CHECK(RecordTypeName(RecordType::kCommand) == "command");
  CHECK(RecordTypeName(RecordType::kConnect) == "connect");
  CHECK(RecordTypeName(RecordType::kDisconnect) == "disconnect");
  CHECK(RecordTypeName(RecordType::kSeal) == "seal");
  CHECK(RecordTypeName(RecordType::kMerge) == "merge");
  CHECK(RecordTypeName(RecordType::kRoleChange) == "role_change");
  CHECK(RecordTypeName(RecordType::kReplicated) == "replicated");
  CHECK(RecordTypeName(RecordType::kNested) == "nested");
  CHECK(static_cast<int>(RecordType::kNested) == 8);  // in files: never renumbered
  CHECK(RecordTypeName(static_cast<RecordType>(9)) == "unknown");
  CHECK(RecordTypeName(static_cast<RecordType>(0)) == "unknown");
  CHECK(RecordTypeName(static_cast<RecordType>(99)) == "unknown");
}

}  // namespace
}  // namespace tidekv::trace
