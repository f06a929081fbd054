// libFuzzer target for ds::Listpack::FromRaw and the listpack's edits.
//
// Listpacks come back from disk, from a replica's full sync and from RESTORE, so FromRaw
// must refuse any damaged or hostile bytes cleanly, never crash or read outside them.
// Checks per input:
//  1. FromRaw on an exactly sized heap copy (ASan sees any read past the end). When it
//     accepts, the result is walked every way the API allows (First/Next, Seek, Get,
//     GetInt, Find), and it is canonical: Raw() is the input, and appending the elements
//     to an empty listpack rebuilds exactly the same bytes.
//  2. The input read as edits (insert, replace, erase, find) applied to a listpack and to a
//     std::vector model side by side; the two must agree and the result must pass FromRaw.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ds/listpack.h"

namespace {

using tidekv::ds::Listpack;

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "listpack_fuzz: %s\n", what);
    std::abort();
  }
}

std::vector<std::string> Walk(const Listpack& lp) {
  std::vector<std::string> out;
  char buf[24];
  for (uint32_t pos = lp.First(); pos != Listpack::kEnd; pos = lp.Next(pos)) {
    Check(out.size() < lp.size(), "more elements than size()");
    Check(lp.Seek(out.size()) == pos, "Seek disagrees with Next");
    const std::string_view v = lp.Get(pos, buf);
    int64_t n = 0;
    if (lp.GetInt(pos, &n)) Check(std::to_string(n) == v, "integer element renders wrong");
    out.emplace_back(v);
  }
  Check(out.size() == lp.size(), "fewer elements than size()");
  Check(lp.Seek(out.size()) == Listpack::kEnd, "Seek past the end");
  return out;
}

void CheckCanonical(const Listpack& lp, std::string_view raw) {
  Check(lp.Raw() == raw, "Raw differs from the accepted input");
  const std::vector<std::string> elements = Walk(lp);
  Listpack rebuilt;
  for (const std::string& e : elements) rebuilt.PushBack(e);
  Check(rebuilt.Raw() == raw, "accepted bytes are not the canonical encoding");
  // Every element is found, at its first occurrence.
  for (size_t i = 0; i < elements.size(); i++) {
    size_t first = 0;
    while (elements[first] != elements[i]) first++;
    Check(lp.Find(elements[i], lp.First(), 0) == lp.Seek(first), "Find misses an element");
  }
}

void CheckFromRaw(std::string_view input) {
  char* copy = static_cast<char*>(std::malloc(input.size() + 1));
  if (!input.empty()) std::memcpy(copy, input.data(), input.size());
  const std::string_view view(copy, input.size());
  std::optional<Listpack> lp = Listpack::FromRaw(view);
  std::free(copy);
  if (lp.has_value()) CheckCanonical(*lp, input);
}

// Reads the input as edits: an op byte, then a length byte and that many value bytes.
void CheckEdits(std::string_view input) {
  Listpack lp;
  std::vector<std::string> model;
  size_t at = 0;
  auto next_value = [&]() {
    if (at >= input.size()) return std::string();
    size_t len = static_cast<unsigned char>(input[at++]);
    if (len == 255) len = 5000;  // reach the long string form
    std::string v(input.substr(at, len));
    at += v.size();
    if (len == 5000) v.resize(len, 'x');
    return v;
  };
  while (at < input.size() && model.size() < 512) {
    const unsigned op = static_cast<unsigned char>(input[at++]);
    const size_t index = model.empty() ? 0 : (op >> 2) % (model.size() + 1);
    switch (op & 3) {
      case 0: {
        const std::string v = next_value();
        lp.Insert(lp.Seek(index), v);
        model.insert(model.begin() + static_cast<ptrdiff_t>(index), v);
        break;
      }
      case 1:
        if (index < model.size()) {
          const std::string v = next_value();
          lp.Replace(lp.Seek(index), v);
          model[index] = v;
        }
        break;
      case 2:
        if (index < model.size()) {
          const size_t n = 1 + (op >> 6);
          lp.Erase(lp.Seek(index), n);
          model.erase(model.begin() + static_cast<ptrdiff_t>(index),
                      model.begin() + static_cast<ptrdiff_t>(std::min(model.size(), index + n)));
        }
        break;
      default: {
        const std::string v = next_value();
        const size_t skip = op >> 6;
        size_t want = model.size();
        for (size_t i = 0; i < model.size(); i += skip + 1) {
          if (model[i] == v) {
            want = i;
            break;
          }
        }
        Check(lp.Find(v, lp.First(), skip) == lp.Seek(want), "Find disagrees with the model");
        break;
      }
    }
  }
  Check(Walk(lp) == model, "edits disagree with the model");
  std::optional<Listpack> back = Listpack::FromRaw(lp.Raw());
  Check(back.has_value(), "an edited listpack fails FromRaw");
  Check(*back == lp, "FromRaw(Raw()) differs");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  CheckFromRaw(input);
  CheckEdits(input);
  return 0;
}
