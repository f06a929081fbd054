// CONFIG REWRITE: brings the TOML file the server was started with up to date with the
// effective configuration, editing it in place line by line so that everything the user
// wrote (comments, blank lines, order, options at their values) stays as it was.

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <toml++/toml.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "config/internal.h"

namespace tidekv::config {
namespace {

std::vector<std::string> SplitLines(std::string_view text) {
  std::vector<std::string> lines;
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) {
      lines.emplace_back(text.substr(pos));
      break;
    }
    lines.emplace_back(text.substr(pos, end - pos));
    pos = end + 1;
  }
  return lines;
}

bool IsAscii(std::string_view line) {
  for (const char c : line) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

// The section a "[name]" header line opens ("" when the line is not a plain header).
std::string HeaderName(std::string_view line) {
  const size_t first = line.find_first_not_of(" \t");
  if (first == std::string_view::npos || line[first] != '[') return {};
  if (first + 1 < line.size() && line[first + 1] == '[') return {};  // array of tables
  const size_t close = line.find(']', first);
  if (close == std::string_view::npos) return {};
  std::string_view name = line.substr(first + 1, close - first - 1);
  while (!name.empty() && (name.front() == ' ' || name.front() == '\t')) name.remove_prefix(1);
  while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
  return std::string(name);
}

// What one option looks like in the file: the line its value is on and the value's columns.
struct Placement {
  size_t line = 0;   // 0-based
  size_t begin = 0;  // 0-based byte columns, end exclusive
  size_t end = 0;
  bool single_line = false;
};

// Writes text to path through a temporary file in the same directory, fsynced and renamed
// over it, so a crash leaves the old file or the new one. The file keeps its mode.
Status WriteFileAtomically(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".rewrite.tmp";
  struct stat st {};
  const mode_t mode = ::stat(path.c_str(), &st) == 0 ? (st.st_mode & 07777) : 0644;
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return Status::IOError(std::strerror(errno));
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return Status::IOError(std::strerror(err));
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return Status::IOError(std::strerror(err));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return Status::IOError(std::strerror(err));
  }
  return Status::Ok();
}

}  // namespace

Result<std::string> RewriteTomlText(std::string_view text, const Config& config) {
  toml::table root;
  try {
    root = toml::parse(text, std::string_view("config"));
  } catch (const toml::parse_error& e) {
    return Status::InvalidArgument(
        fmt::format("the file no longer parses: {}", internal::OneLine(e.description())));
  }
  // What the file holds now, as the loader reads it.
  Result<Config> from_file = LoadTomlString(text, "config");
  if (!from_file.ok()) {
    return Status::InvalidArgument(
        fmt::format("the file no longer loads: {}", from_file.status().message()));
  }
  // Where each option of the file is.
  std::map<std::string_view, Placement> placed;
  std::vector<std::string> lines = SplitLines(text);
  for (const OptionSpec& option : Options()) {
    const toml::node* node = root.at_path(option.key).node();
    if (node == nullptr) continue;
    const toml::source_region& where = node->source();
    Placement p;
    p.line = where.begin.line - 1;
    p.begin = where.begin.column - 1;
    p.end = where.end.column - 1;
    p.single_line = where.begin.line == where.end.line && p.line < lines.size() &&
                    IsAscii(lines[p.line]) && p.end <= lines[p.line].size() && p.begin < p.end;
    placed[option.key] = p;
  }
  const Config defaults;
  // Options to add, per section, in table order.
  std::map<std::string, std::vector<std::string>> additions;
  for (const OptionSpec& option : Options()) {
    const std::string value = internal::TomlValue(config, option);
    auto it = placed.find(option.key);
    if (it == placed.end()) {
      // Not in the file: written only when it differs from the default, as Redis does.
      if (value == internal::TomlValue(defaults, option)) continue;
      additions[std::string(internal::SectionOf(option))].push_back(
          fmt::format("{} = {}", internal::NameOf(option), value));
      continue;
    }
    // In the file: left alone when it already loads as the current value ("512mb" stays).
    if (GetOption(from_file.value(), option) == GetOption(config, option)) continue;
    const Placement& p = it->second;
    if (!p.single_line) {
      return Status::InvalidArgument(fmt::format(
          "{} spans several lines or holds non-ASCII text: rewrite it by hand", option.key));
    }
    std::string& line = lines[p.line];
    line = line.substr(0, p.begin) + value + line.substr(p.end);
  }
  // Where each section ends (its last non-blank line), for the additions.
  std::map<std::string, size_t> section_end;
  std::string current;
  size_t first_header = lines.size();
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string header = HeaderName(lines[i]);
    if (!header.empty()) {
      current = header;
      if (first_header == lines.size()) first_header = i;
      section_end[current] = i;
      continue;
    }
    const size_t first = lines[i].find_first_not_of(" \t");
    if (!current.empty() && first != std::string::npos && lines[i][first] != '#') {
      section_end[current] = i;
    }
  }
  // Insert from the bottom up so earlier indices stay valid.
  std::vector<std::pair<size_t, std::vector<std::string>>> inserts;
  std::vector<std::string> tail;
  for (const internal::Section& section : internal::Sections()) {
    auto add = additions.find(std::string(section.name));
    if (add == additions.end()) continue;
    auto end = section_end.find(std::string(section.name));
    if (end != section_end.end()) {
      inserts.emplace_back(end->second + 1, add->second);
    } else if (root.contains(section.name)) {
      // The section exists only through dotted keys ("server.port = 1" above every
      // header): add dotted keys there too, before the first header.
      std::vector<std::string> dotted;
      for (const std::string& line : add->second) {
        dotted.push_back(fmt::format("{}.{}", section.name, line));
      }
      inserts.emplace_back(first_header, dotted);
    } else {
      tail.emplace_back();
      tail.push_back(fmt::format("[{}]", section.name));
      for (const std::string& line : add->second) tail.push_back(line);
    }
  }
  std::stable_sort(inserts.begin(), inserts.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  for (const auto& [at, added] : inserts) {
    lines.insert(lines.begin() + static_cast<std::ptrdiff_t>(at), added.begin(), added.end());
  }
  if (!tail.empty() && (lines.empty() || lines.back().empty())) tail.erase(tail.begin());
  lines.insert(lines.end(), tail.begin(), tail.end());

  std::string out;
  for (const std::string& line : lines) {
    out += line;
    out += '\n';
  }
  // The result must load, and load as the configuration it was written from.
  Result<Config> check = LoadTomlString(out, "config");
  if (!check.ok()) return check.status();
  for (const OptionSpec& option : Options()) {
    if (GetOption(check.value(), option) != GetOption(config, option)) {
      return Status::Internal(
          fmt::format("{} would not read back as {}", option.key, GetOption(config, option)));
    }
  }
  return out;
}

Status RewriteTomlFile(const std::string& path, const Config& config) {
  std::string text;
  if (std::FILE* file = std::fopen(path.c_str(), "rb")) {
    char buffer[8192];
    size_t n = 0;
    while ((n = std::fread(buffer, 1, sizeof buffer, file)) > 0) text.append(buffer, n);
    const bool failed = std::ferror(file) != 0;
    std::fclose(file);
    if (failed) return Status::IOError(std::strerror(errno));
  } else if (errno != ENOENT) {
    return Status::IOError(std::strerror(errno));
  }
  Result<std::string> rewritten = RewriteTomlText(text, config);
  if (!rewritten.ok()) return rewritten.status();
  if (rewritten.value() == text) return Status::Ok();
  return WriteFileAtomically(path, rewritten.value());
}

}  // namespace tidekv::config
