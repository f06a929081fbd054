#include "persistence/dir_state.h"

#include <fmt/format.h>

#include <vector>

#include "common/crc32c.h"
#include "common/files.h"
#include "common/strings.h"

namespace tidekv::persistence {
namespace {

constexpr std::string_view kHeader = "tidekv-state 1";

// "name value" lines in this order, then "crc32c <decimal>" over everything before it.
std::string Body(const DirState& s) {
  return fmt::format("{}\ndir_id {}\nnext_batch_id {}\nspine_upper {}\ndurable_offset {}\n",
                     kHeader, s.dir_id, s.next_batch_id, s.spine_upper, s.durable_offset);
}

bool ValidDirId(std::string_view id) {
  if (id.size() != 32) return false;
  for (char c : id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

std::string EncodeDirState(const DirState& state) {
  const std::string body = Body(state);
  return body + fmt::format("crc32c {}\n", Crc32c(body));
}

Result<DirState> DecodeDirState(std::string_view text, const std::string& path) {
  auto bad = [&](std::string_view why) {
    return Status::Corruption(fmt::format(
        "{} is damaged ({}); it records what this data directory held at least. If the rest "
        "of the directory is known to be intact, remove it and start again",
        path, why));
  };
  const size_t crc_at = text.rfind("crc32c ");
  if (crc_at == std::string_view::npos || text.empty() || text.back() != '\n') {
    return bad("no checksum line");
  }
  const std::string_view body = text.substr(0, crc_at);
  const auto crc = ParseUint64(text.substr(crc_at + 7, text.size() - crc_at - 8));
  if (!crc || *crc != Crc32c(body)) return bad("checksum mismatch");

  std::vector<std::string_view> lines;
  for (size_t pos = 0; pos < body.size();) {
    const size_t end = body.find('\n', pos);
    if (end == std::string_view::npos) return bad("unterminated line");
    lines.push_back(body.substr(pos, end - pos));
    pos = end + 1;
  }
  if (lines.size() != 5 || lines[0] != kHeader) return bad("unknown format");
  DirState state;
  auto value = [&](size_t i, std::string_view name) -> std::optional<std::string_view> {
    if (!lines[i].starts_with(name) || lines[i].size() <= name.size() + 1 ||
        lines[i][name.size()] != ' ') {
      return std::nullopt;
    }
    return lines[i].substr(name.size() + 1);
  };
  const auto id = value(1, "dir_id");
  const auto next_batch_id = value(2, "next_batch_id");
  const auto spine_upper = value(3, "spine_upper");
  const auto durable = value(4, "durable_offset");
  if (!id || !ValidDirId(*id) || !next_batch_id || !spine_upper || !durable) {
    return bad("malformed line");
  }
  const auto a = ParseUint64(*next_batch_id);
  const auto b = ParseUint64(*spine_upper);
  const auto c = ParseUint64(*durable);
  if (!a || !b || !c) return bad("malformed number");
  state.dir_id = std::string(*id);
  state.next_batch_id = *a;
  state.spine_upper = *b;
  state.durable_offset = *c;
  return state;
}

Result<std::optional<DirState>> LoadDirState(const std::string& path) {
  auto text = ReadSmallFile(path, 4096);
  if (!text.ok()) {
    if (text.status().code() == StatusCode::kNotFound) return std::optional<DirState>();
    return text.status();
  }
  auto decoded = DecodeDirState(*text, path);
  if (!decoded.ok()) return decoded.status();
  return std::optional<DirState>(std::move(decoded).value());
}

Status StoreDirState(const std::string& path, const DirState& state) {
  return ReplaceFileDurably(path, EncodeDirState(state));
}

std::string NewDirId() { return RandomHex(16); }

}  // namespace tidekv::persistence
