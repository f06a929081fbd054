// SORT and SORT_RO (the generic group), Redis 7.0 semantics: sorts a list, set or sorted
// set numerically or by bytes (ALPHA), by the element itself or by a weight read from other
// keys (BY pattern, "*" replaced by the element, "->field" reading a hash field), returns a
// LIMIT window of the elements or of values read through GET patterns, or STOREs them as a
// list.
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "commands/commands.h"
#include "common/strings.h"
#include "types/hash.h"
#include "types/list.h"
#include "types/set.h"
#include "types/zset.h"

namespace tidekv::commands {
namespace {

using types::HashValue;
using types::ListValue;
using types::SetValue;
using types::ZSetValue;

struct SortOptions {
  bool desc = false;
  bool alpha = false;
  bool dontsort = false;  // BY a pattern without '*': keep the native order
  std::optional<std::string_view> by;
  int64_t limit_start = 0;
  int64_t limit_count = -1;
  std::optional<std::string_view> store;
  std::vector<std::string_view> gets;
};

// Parses argv[2..]; replies the error and returns false when malformed.
bool ParseOptions(CommandContext& ctx, bool readonly, SortOptions* o) {
  for (size_t j = 2; j < ctx.argc(); j++) {
    const size_t left = ctx.argc() - j - 1;
    if (ctx.ArgIs(j, "asc")) {
      o->desc = false;
    } else if (ctx.ArgIs(j, "desc")) {
      o->desc = true;
    } else if (ctx.ArgIs(j, "alpha")) {
      o->alpha = true;
    } else if (ctx.ArgIs(j, "limit") && left >= 2) {
      const std::optional<int64_t> start = ctx.IntArg(j + 1);
      if (!start) return false;
      const std::optional<int64_t> count = ctx.IntArg(j + 2);
      if (!count) return false;
      o->limit_start = *start;
      o->limit_count = *count;
      j += 2;
    } else if (!readonly && ctx.ArgIs(j, "store") && left >= 1) {
      o->store = ctx.arg(++j);
    } else if (ctx.ArgIs(j, "by") && left >= 1) {
      o->by = ctx.arg(++j);
      o->dontsort = o->by->find('*') == std::string_view::npos;
    } else if (ctx.ArgIs(j, "get") && left >= 1) {
      o->gets.push_back(ctx.arg(++j));
    } else {
      ctx.SyntaxError();
      return false;
    }
  }
  return true;
}

// Redis's lookupKeyByPattern: "#" is the element itself; otherwise the first '*' of the
// pattern is replaced by the element and the key read: a string, or with "->field" after
// the '*', that field of a hash. nullopt when there is no such value (or no '*').
std::optional<std::string> LookupByPattern(CommandContext& ctx, std::string_view pattern,
                                           std::string_view element) {
  if (pattern == "#") return std::string(element);
  const size_t star = pattern.find('*');
  if (star == std::string_view::npos) return std::nullopt;
  std::string_view rest = pattern.substr(star + 1);
  std::optional<std::string_view> field;
  if (const size_t arrow = rest.find("->");
      arrow != std::string_view::npos && arrow + 2 < rest.size()) {
    field = rest.substr(arrow + 2);
    rest = rest.substr(0, arrow);
  }
  std::string key;
  key.reserve(star + element.size() + rest.size());
  key.append(pattern.substr(0, star)).append(element).append(rest);
  Entry* e = ctx.LookupRead(key);
  if (e == nullptr) return std::nullopt;
  if (field) {
    if (e->type() != ValueType::kHash) return std::nullopt;
    std::string v;
    if (!e->As<HashValue>()->Get(*field, &v)) return std::nullopt;
    return v;
  }
  if (e->type() != ValueType::kString) return std::nullopt;
  return std::string(e->str());
}

struct Item {
  std::string element;
  double score = 0;                  // numeric weight
  std::optional<std::string> alpha;  // ALPHA BY weight (absent sorts first)
};

// The output window [start, end) within the loaded items.
struct Window {
  size_t start = 0;
  size_t end = 0;
};

// Loads the elements to sort: all of them, or with dontsort on a list or sorted set only the
// LIMIT window in native order (DESC reversing it), and returns where the output is.
Window LoadItems(Entry* e, const SortOptions& o, std::vector<Item>* items) {
  if (e == nullptr) return {};
  const ValueType type = e->type();
  const size_t len = type == ValueType::kList  ? e->As<ListValue>()->size()
                     : type == ValueType::kSet ? e->As<SetValue>()->size()
                                               : e->As<ZSetValue>()->size();
  // Redis's LIMIT sanity: a negative start is 0, a negative count means all, and the window
  // ends at the last element. Both are first bounded by the length, so no sum can overflow.
  const auto n = static_cast<int64_t>(len);
  const int64_t s = std::min(std::max<int64_t>(0, o.limit_start), n);
  const int64_t count = std::min(std::max<int64_t>(-1, o.limit_count), n);
  const int64_t en = std::min(count < 0 ? n - 1 : s + count - 1, n - 1);
  if (en < s) return {};
  const auto first = static_cast<size_t>(s);
  const auto last = static_cast<size_t>(en);
  auto add = [&](std::string_view v) { items->push_back(Item{.element = std::string(v)}); };
  if (o.dontsort && type == ValueType::kList) {
    items->reserve(last - first + 1);
    e->As<ListValue>()->Walk(o.desc ? len - first - 1 : first, !o.desc,
                             [&](size_t, std::string_view v) {
                               add(v);
                               return items->size() < last - first + 1;
                             });
    return {0, items->size()};
  }
  if (o.dontsort && type == ValueType::kZSet) {
    const ZSetValue* z = e->As<ZSetValue>();
    items->reserve(last - first + 1);
    auto member = [&](std::string_view m, double) { add(m); };
    if (o.desc) {
      z->ForRanks(len - 1 - last, len - first, true, member);
    } else {
      z->ForRanks(first, last + 1, false, member);
    }
    return {0, items->size()};
  }
  items->reserve(len);
  if (type == ValueType::kList) e->As<ListValue>()->ForEach(add);
  if (type == ValueType::kSet) e->As<SetValue>()->ForEach(add);
  if (type == ValueType::kZSet) {
    e->As<ZSetValue>()->ForEach([&](std::string_view m, double) { add(m); });
  }
  return {first, last + 1};
}

// Reads the weights; false when one cannot be read as a double (Redis's strtod rules: the
// whole string, no NaN, no overflow; an empty string is 0).
bool LoadWeights(CommandContext& ctx, const SortOptions& o, std::vector<Item>* items) {
  bool ok = true;
  for (Item& it : *items) {
    std::optional<std::string> by;
    if (o.by) {
      by = LookupByPattern(ctx, *o.by, it.element);
      if (!by) continue;
    }
    if (o.alpha) {
      if (o.by) it.alpha = std::move(by);
      continue;
    }
    const std::string& text = o.by ? *by : it.element;
    char* end = nullptr;
    errno = 0;
    it.score = std::strtod(text.c_str(), &end);
    if (*end != '\0' || errno == ERANGE || std::isnan(it.score)) ok = false;
  }
  return ok;
}

// Redis's sortCompare: numeric weights, then the elements' bytes; ALPHA by the elements'
// bytes; ALPHA BY by the weights (a missing one first). Equal ALPHA BY weights keep the
// native order (a stable sort, as Redis's), except for a set, whose order is its table's:
// there the elements' bytes decide, so a stored result is the same on every node.
void SortItems(const SortOptions& o, bool from_set, std::vector<Item>* items) {
  auto less = [&](const Item& a, const Item& b) {
    int cmp = 0;
    if (!o.alpha) {
      cmp = a.score < b.score ? -1 : a.score > b.score ? 1 : 0;
    } else if (o.by) {
      if (!a.alpha || !b.alpha) {
        cmp = a.alpha ? 1 : b.alpha ? -1 : 0;
      } else {
        cmp = a.alpha->compare(*b.alpha);
      }
    }
    if (cmp == 0 && (!o.alpha || !o.by || from_set)) cmp = a.element.compare(b.element);
    return o.desc ? cmp > 0 : cmp < 0;
  };
  std::stable_sort(items->begin(), items->end(), less);
}

void Store(CommandContext& ctx, std::string_view dst, std::vector<std::string> values) {
  const bool existed = ctx.db.Erase(dst, ctx.now_ms);
  if (values.empty()) {
    if (existed) {
      ctx.Changed();
      ctx.Propagate({"DEL", dst});
    }
    return ctx.reply.Integer(0);
  }
  auto l = ctx.WriteOrCreate<ListValue>(dst, [] { return new ListValue(); });
  for (const std::string& v : values) l.value->Push(false, v);
  ctx.Changed(values.size());
  // The effect is the stored list (the weights and GET values came from other keys): a DEL
  // and RPUSHes of at most kChunk values, applied together as one group.
  constexpr size_t kChunk = 1024;
  ctx.engine.BeginGroup(ctx.session.id);
  ctx.Propagate({"DEL", dst});
  std::vector<std::string_view> effect;
  for (size_t i = 0; i < values.size(); i += kChunk) {
    effect.assign({"RPUSH", dst});
    for (size_t k = i; k < std::min(values.size(), i + kChunk); k++) effect.push_back(values[k]);
    ctx.Propagate(effect);
  }
  ctx.engine.EndGroup(&ctx.session);
  ctx.reply.Integer(static_cast<int64_t>(values.size()));
}

void SortGeneric(CommandContext& ctx, bool readonly) {
  SortOptions o;
  if (!ParseOptions(ctx, readonly, &o)) return;
  Entry* e = ctx.LookupRead(ctx.arg(1));
  if (e != nullptr && e->type() != ValueType::kList && e->type() != ValueType::kSet &&
      e->type() != ValueType::kZSet) {
    return ctx.WrongType();
  }
  // A set has no order of its own: where the result must be the same everywhere (stored,
  // or run by a script) it is sorted by its bytes instead.
  if (o.dontsort && e != nullptr && e->type() == ValueType::kSet &&
      (o.store || ctx.engine.script_running())) {
    o.dontsort = false;
    o.alpha = true;
    o.by.reset();
  }
  std::vector<Item> items;
  const auto [start, end] = LoadItems(e, o, &items);
  if (!o.dontsort) {
    if (!LoadWeights(ctx, o, &items)) {
      return ctx.Error("ERR One or more scores can't be converted into double");
    }
    SortItems(o, e != nullptr && e->type() == ValueType::kSet, &items);
  }
  const size_t n = end - start;
  if (!o.store) {
    ctx.reply.Array(o.gets.empty() ? n : n * o.gets.size());
    for (size_t j = start; j < end; j++) {
      if (o.gets.empty()) ctx.reply.Bulk(items[j].element);
      for (std::string_view get : o.gets) {
        if (std::optional<std::string> v = LookupByPattern(ctx, get, items[j].element)) {
          ctx.reply.Bulk(*v);
        } else {
          ctx.reply.Null();
        }
      }
    }
    return;
  }
  std::vector<std::string> values;
  values.reserve(o.gets.empty() ? n : n * o.gets.size());
  for (size_t j = start; j < end; j++) {
    if (o.gets.empty()) values.push_back(std::move(items[j].element));
    for (std::string_view get : o.gets) {
      values.push_back(LookupByPattern(ctx, get, items[j].element).value_or(""));
    }
  }
  Store(ctx, *o.store, std::move(values));
}

void Sort(CommandContext& ctx) { SortGeneric(ctx, false); }
void SortRO(CommandContext& ctx) { SortGeneric(ctx, true); }

// Redis's sortGetKeys: the sorted key, and STORE's destination (the last one named).
// LIMIT's two arguments and BY's and GET's one are skipped, so a pattern is never a key.
void SortKeys(std::span<const std::string_view> argv, std::vector<size_t>* out) {
  out->push_back(1);
  std::optional<size_t> store;
  for (size_t i = 2; i < argv.size(); i++) {
    auto is = [&](std::string_view w) { return EqualsIgnoreCase(argv[i], w); };
    if (is("limit")) {
      i += 2;
    } else if (is("get") || is("by")) {
      i += 1;
    } else if (is("store") && i + 1 < argv.size()) {
      store = ++i;
    }
  }
  if (store) out->push_back(*store);
}

// SORT_RO has no STORE: its one key is the sorted one (still "movablekeys", as in Redis).
void SortROKeys(std::span<const std::string_view> argv, std::vector<size_t>* out) {
  out->push_back(1);
}

}  // namespace

void RegisterSortCommands(CommandTable& table) {
  using enum CommandFlag;
  constexpr std::string_view kComplexity =
      "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the "
      "number of returned elements. When the elements are not sorted, complexity is O(N).";
  table.Add({.name = "sort",
             .arity = -2,
             .flags = kWrite | kDenyOom,
             .key_flags = "RO access; OW update",
             .handler = Sort,
             .group = "generic",
             .since = "1.0.0",
             .summary = "Sorts the elements in a list, a set, or a sorted set, optionally storing "
                        "the result.",
             .complexity = kComplexity,
             .syntax = "key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] "
                       "[ASC | DESC] [ALPHA] [STORE destination]",
             .find_keys = SortKeys});
  table.Add({.name = "sort_ro",
             .arity = -2,
             .flags = kReadOnly,
             .key_flags = "RO access",
             .handler = SortRO,
             .group = "generic",
             .since = "7.0.0",
             .summary = "Returns the sorted elements of a list, a set, or a sorted set.",
             .complexity = kComplexity,
             .syntax = "key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] "
                       "[ASC | DESC] [ALPHA]",
             .find_keys = SortROKeys});
}

}  // namespace tidekv::commands
