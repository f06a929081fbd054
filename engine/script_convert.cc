#include "engine/script_convert.h"

#include <cmath>
#include <lua.hpp>
#include <string>

#include "common/strings.h"

namespace tidekv::engine {

namespace {

// Nesting bound for both directions: far above any real reply, well below the C stack.
constexpr int kMaxDepth = 1000;

void PushErrorTable(lua_State* L, std::string_view message) {
  lua_newtable(L);
  lua_pushlstring(L, message.data(), message.size());
  lua_setfield(L, -2, "err");
}

// Sets t[field] = value where t is at the top (value pushed by the caller).
void SetField(lua_State* L, const char* field) { lua_setfield(L, -2, field); }

class ReplyReader {
 public:
  ReplyReader(lua_State* L, std::string_view reply, size_t* pos) : L_(L), in_(reply), pos_(*pos) {}
  size_t pos() const { return pos_; }

  // Pushes one value; false (with nothing pushed) when the reply is malformed.
  bool Push(int depth) {
    if (depth > kMaxDepth || !lua_checkstack(L_, 4)) return false;
    std::string_view line;
    if (pos_ >= in_.size() || !Line(&line)) return false;
    const char type = line[0];
    const std::string_view body = line.substr(1);
    switch (type) {
      case ':': {
        const auto v = ParseInt64(body);
        if (!v) return false;
        lua_pushnumber(L_, static_cast<lua_Number>(*v));
        return true;
      }
      case '+':
        lua_newtable(L_);
        lua_pushlstring(L_, body.data(), body.size());
        SetField(L_, "ok");
        return true;
      case '-':
        PushErrorTable(L_, body);
        error_ = depth == 0;
        return true;
      case '$':
      case '=':
      case '(': {
        if (body == "-1") {
          lua_pushboolean(L_, 0);  // RESP2 null bulk: false
          return true;
        }
        std::string_view bytes;
        if (!Bytes(body, &bytes)) return false;
        if (type == '$') {
          lua_pushlstring(L_, bytes.data(), bytes.size());
        } else if (type == '(') {
          lua_newtable(L_);
          lua_pushlstring(L_, bytes.data(), bytes.size());
          SetField(L_, "big_number");
        } else {
          if (bytes.size() < 4 || bytes[3] != ':') return false;
          lua_newtable(L_);
          lua_newtable(L_);
          lua_pushlstring(L_, bytes.data(), 3);
          SetField(L_, "format");
          lua_pushlstring(L_, bytes.data() + 4, bytes.size() - 4);
          SetField(L_, "string");
          SetField(L_, "verbatim_string");
        }
        return true;
      }
      case '_':
        lua_pushnil(L_);
        return true;
      case '#':
        if (body != "t" && body != "f") return false;
        lua_pushboolean(L_, body == "t");
        return true;
      case ',': {
        const auto d = ParseLongDouble(body);
        if (!d) return false;
        lua_newtable(L_);
        lua_pushnumber(L_, static_cast<lua_Number>(*d));
        SetField(L_, "double");
        return true;
      }
      case '*':
      case '>': {
        if (body == "-1") {
          lua_pushboolean(L_, 0);  // RESP2 null array: false
          return true;
        }
        const auto n = ParseUint64(body);
        if (!n || *n > in_.size()) return false;
        lua_createtable(L_, static_cast<int>(*n), 0);
        for (uint64_t i = 0; i < *n; i++) {
          if (!Push(depth + 1)) return false;
          lua_rawseti(L_, -2, static_cast<int>(i + 1));
        }
        return true;
      }
      case '%':
      case '~':
      case '|': {
        const auto n = ParseUint64(body);
        if (!n || *n > in_.size()) return false;
        if (type == '|') {  // attributes: read and dropped, then the value they annotate
          for (uint64_t i = 0; i < 2 * *n; i++) {
            if (!Push(depth + 1)) return false;
            lua_pop(L_, 1);
          }
          return Push(depth);
        }
        lua_newtable(L_);
        lua_newtable(L_);
        for (uint64_t i = 0; i < *n; i++) {
          if (!Push(depth + 1)) return false;
          if (type == '%') {
            if (!Push(depth + 1)) return false;
          } else {
            lua_pushboolean(L_, 1);
          }
          lua_rawset(L_, -3);
        }
        SetField(L_, type == '%' ? "map" : "set");
        return true;
      }
      default:
        return false;
    }
  }
  bool error() const { return error_; }

 private:
  bool Line(std::string_view* line) {
    const size_t end = in_.find("\r\n", pos_);
    if (end == std::string_view::npos || end == pos_) return false;
    *line = in_.substr(pos_, end - pos_);
    pos_ = end + 2;
    return true;
  }
  bool Bytes(std::string_view len_text, std::string_view* bytes) {
    const auto n = ParseUint64(len_text);
    if (!n || *n > in_.size() - pos_ || in_.size() - pos_ - *n < 2) return false;
    *bytes = in_.substr(pos_, *n);
    pos_ += *n + 2;
    return true;
  }

  lua_State* L_;
  std::string_view in_;
  size_t pos_;
  bool error_ = false;
};

// Looks up t[field] for the table at the top; pushes it and returns its type.
int GetField(lua_State* L, const char* field) {
  lua_pushstring(L, field);
  lua_rawget(L, -2);
  return lua_type(L, -1);
}

std::string OneLine(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c == '\r' || c == '\n') c = ' ';
  }
  return out;
}

void Write(lua_State* L, proto::ReplyBuilder& reply, int depth);

void WriteTable(lua_State* L, proto::ReplyBuilder& reply, int depth) {
  if (GetField(L, "err") == LUA_TSTRING) {
    size_t n = 0;
    const char* s = lua_tolstring(L, -1, &n);
    reply.Error(OneLine(std::string_view(s, n)));
    lua_pop(L, 1);
    return;
  }
  lua_pop(L, 1);
  if (GetField(L, "ok") == LUA_TSTRING) {
    size_t n = 0;
    const char* s = lua_tolstring(L, -1, &n);
    reply.Simple(OneLine(std::string_view(s, n)));
    lua_pop(L, 1);
    return;
  }
  lua_pop(L, 1);
  if (GetField(L, "double") == LUA_TNUMBER) {
    reply.Double(static_cast<double>(lua_tonumber(L, -1)));
    lua_pop(L, 1);
    return;
  }
  lua_pop(L, 1);
  if (GetField(L, "big_number") == LUA_TSTRING) {
    size_t n = 0;
    const char* s = lua_tolstring(L, -1, &n);
    if (reply.resp3()) {
      reply.Raw("(" + OneLine(std::string_view(s, n)) + "\r\n");
    } else {
      reply.Bulk(std::string_view(s, n));
    }
    lua_pop(L, 1);
    return;
  }
  lua_pop(L, 1);
  if (GetField(L, "verbatim_string") == LUA_TTABLE) {
    GetField(L, "string");
    size_t n = 0;
    const char* s = lua_tolstring(L, -1, &n);
    reply.Verbatim(s != nullptr ? std::string_view(s, n) : std::string_view());
    lua_pop(L, 2);
    return;
  }
  lua_pop(L, 1);
  bool is_map = GetField(L, "map") == LUA_TTABLE;
  bool is_set = false;
  if (!is_map) {
    lua_pop(L, 1);
    is_set = GetField(L, "set") == LUA_TTABLE;
    if (!is_set) lua_pop(L, 1);
  }
  if (is_map || is_set) {
    size_t count = 0;
    lua_pushnil(L);
    while (lua_next(L, -2) != 0) {
      count++;
      lua_pop(L, 1);
    }
    if (is_map) {
      reply.Map(count);
    } else {
      reply.Set(count);
    }
    lua_pushnil(L);
    while (lua_next(L, -2) != 0) {
      lua_pushvalue(L, -2);  // the key, on top
      Write(L, reply, depth + 1);
      lua_pop(L, 1);
      if (is_map) Write(L, reply, depth + 1);
      lua_pop(L, 1);
    }
    lua_pop(L, 1);
    return;
  }
  // An array: elements 1..n, up to the first nil.
  size_t n = 0;
  while (true) {
    lua_rawgeti(L, -1, static_cast<int>(n + 1));
    const bool nil = lua_isnil(L, -1);
    lua_pop(L, 1);
    if (nil) break;
    n++;
  }
  reply.Array(n);
  for (size_t i = 1; i <= n; i++) {
    lua_rawgeti(L, -1, static_cast<int>(i));
    Write(L, reply, depth + 1);
    lua_pop(L, 1);
  }
}

void Write(lua_State* L, proto::ReplyBuilder& reply, int depth) {
  if (depth > kMaxDepth || !lua_checkstack(L, 6)) {
    reply.Error("ERR reached lua stack limit");
    return;
  }
  switch (lua_type(L, -1)) {
    case LUA_TSTRING: {
      size_t n = 0;
      const char* s = lua_tolstring(L, -1, &n);
      reply.Bulk(std::string_view(s, n));
      return;
    }
    case LUA_TBOOLEAN:
      if (reply.resp3()) {
        reply.Bool(lua_toboolean(L, -1) != 0);
      } else if (lua_toboolean(L, -1) != 0) {
        reply.Integer(1);
      } else {
        reply.Null();
      }
      return;
    case LUA_TNUMBER: {
      const double d = static_cast<double>(lua_tonumber(L, -1));
      // Truncated toward zero, as Redis's (long long) cast; NaN and out-of-range clamp.
      int64_t v = 0;
      if (std::isfinite(d) && d < 9.2e18 && d > -9.2e18) v = static_cast<int64_t>(d);
      reply.Integer(v);
      return;
    }
    case LUA_TTABLE:
      WriteTable(L, reply, depth);
      return;
    default:
      reply.Null();
      return;
  }
}

}  // namespace

bool PushReplyAsLua(lua_State* L, std::string_view reply, size_t* pos) {
  const int top = lua_gettop(L);
  ReplyReader reader(L, reply, pos);
  if (!reader.Push(0)) {
    lua_settop(L, top);
    PushErrorTable(L, "ERR the command's reply could not be converted for the script");
    *pos = reply.size();
    return true;
  }
  *pos = reader.pos();
  return reader.error();
}

void WriteLuaAsReply(lua_State* L, proto::ReplyBuilder& reply) { Write(L, reply, 0); }

}  // namespace tidekv::engine
