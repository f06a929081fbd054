// ReplyBuilder: writes RESP2 or RESP3 replies by appending to a caller-owned string.
//
// One per connection (the connection's output buffer), used on the loop thread only. The
// same calls produce RESP2 or RESP3 depending on the protocol the client chose with HELLO:
//
//   call         RESP3                RESP2
//   Null()       _\r\n                $-1\r\n
//   NullArray()  _\r\n                *-1\r\n
//   Map(n)       %n\r\n               *<2n>\r\n   (n key/value pairs follow)
//   Set(n)       ~n\r\n               *n\r\n
//   Push(n)      >n\r\n               *n\r\n
//   Double(d)    ,<d>\r\n             $<len>\r\n<d>\r\n
//   Bool(b)      #t\r\n / #f\r\n      :1\r\n / :0\r\n
//   Verbatim     =<len>\r\ntxt:...    $<len>\r\n...   (bulk string without the "txt:")
//
// Error and Simple sanitize their text: '\r' and '\n' become spaces, so a message can never
// break the framing.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tidekv::proto {

class ReplyBuilder {
 public:
  explicit ReplyBuilder(std::string* out) : out_(out) {}

  void set_resp3(bool on) { resp3_ = on; }
  bool resp3() const { return resp3_; }
  std::string* buffer() { return out_; }

  void Ok() { out_->append("+OK\r\n", 5); }
  void Simple(std::string_view s);
  // msg is the full error text including its code, e.g. "ERR syntax error"; "-" is added.
  void Error(std::string_view msg);
  void Integer(int64_t v);
  void Bulk(std::string_view s);
  void Null();
  void NullArray();
  void Array(size_t n);
  void Map(size_t pairs);
  void Set(size_t n);
  void Push(size_t n);
  // Counts the Push headers written: pub/sub confirmations and messages are pushes in both
  // protocols (a RESP2 one looks like an array), and CLIENT REPLY OFF keeps them.
  uint64_t pushes() const { return pushes_; }
  void Double(double d);
  void Bool(bool b);
  void Verbatim(std::string_view text);
  // Bytes that are already valid RESP (pre-encoded replies).
  void Raw(std::string_view bytes) { out_->append(bytes); }

 private:
  void Header(char prefix, uint64_t n);

  std::string* out_;
  bool resp3_ = false;
  uint64_t pushes_ = 0;
};

}  // namespace tidekv::proto
