#include "engine/acl.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "common/sha256.h"
#include "common/strings.h"

namespace tidekv::engine {

namespace {

using F = CommandFlag;

constexpr std::string_view kCategories[] = {
    "keyspace", "read",   "write",       "set",       "sortedset",  "list",        "hash",
    "string",   "bitmap", "hyperloglog", "geo",       "stream",     "pubsub",      "admin",
    "fast",     "slow",   "blocking",    "dangerous", "connection", "transaction", "scripting"};

int CategoryIndex(std::string_view name) {
  for (size_t i = 0; i < std::size(kCategories); i++) {
    if (EqualsIgnoreCase(kCategories[i], name)) return static_cast<int>(i);
  }
  return -1;
}

bool ValidHash(std::string_view hash) {
  if (hash.size() != 64) return false;
  return std::all_of(hash.begin(), hash.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

constexpr std::string_view kUnknownCommand = "Unknown command or category name in ACL";
constexpr std::string_view kBadHash =
    "The password hash must be exactly 64 characters and contain only lowercase hexadecimal "
    "characters";

}  // namespace

std::span<const std::string_view> AclCategoryNames() { return kCategories; }

const std::shared_ptr<AclUser>& UnattachedAclUser() {
  static const std::shared_ptr<AclUser> user = [] {
    auto u = std::make_shared<AclUser>();
    u->name = "default";
    u->enabled = u->nopass = u->base_all = u->all_keys = u->all_channels = true;
    u->unrestricted = true;
    return u;
  }();
  return user;
}

std::vector<std::string_view> AclCategories(const CommandSpec& c) {
  std::vector<std::string_view> cats;
  if (HasFlag(c.flags, F::kWrite)) cats.push_back("@write");
  if (HasFlag(c.flags, F::kReadOnly)) cats.push_back("@read");
  // The data-type and feature categories follow the command's group.
  static constexpr std::pair<std::string_view, std::string_view> kGroupCategories[] = {
      {"string", "@string"},
      {"bitmap", "@bitmap"},
      {"hash", "@hash"},
      {"list", "@list"},
      {"set", "@set"},
      {"sorted_set", "@sortedset"},
      {"geo", "@geo"},
      {"hyperloglog", "@hyperloglog"},
      {"stream", "@stream"},
      {"pubsub", "@pubsub"},
      {"scripting", "@scripting"},
      {"transactions", "@transaction"}};
  for (const auto& [group, category] : kGroupCategories) {
    if (c.group == group) cats.push_back(category);
  }
  // Only the generic key commands: a data type's commands name keys without being @keyspace.
  if (c.group == "generic") cats.push_back("@keyspace");
  if (c.group == "connection") cats.push_back("@connection");
  // Redis marks these dangerous without the admin flag (their rows' acl_categories).
  static constexpr std::string_view kDangerous[] = {"keys",    "flushdb",  "flushall", "sort",
                                                    "sort_ro", "swapdb",   "restore",  "migrate",
                                                    "info",    "lastsave", "role"};
  if (HasFlag(c.flags, F::kAdmin)) {
    cats.push_back("@admin");
    cats.push_back("@dangerous");
  } else if (std::find(std::begin(kDangerous), std::end(kDangerous), c.name) !=
             std::end(kDangerous)) {
    cats.push_back("@dangerous");
  }
  cats.push_back(HasFlag(c.flags, F::kFast) ? "@fast" : "@slow");
  return cats;
}

bool AclUser::CheckPassword(std::string_view password) const {
  if (nopass) return true;
  const std::string hash = Sha256::HexOf(password);
  bool match = false;
  // Every hash compared in full, so timing tells nothing about which one was close.
  for (const std::string& h : passwords) {
    unsigned diff = 0;
    for (size_t i = 0; i < h.size(); i++) diff |= static_cast<unsigned>(h[i] ^ hash[i]);
    match |= diff == 0;
  }
  return match;
}

Acl::Acl(const CommandTable& table) : table_(table) {
  by_id_.assign(table.row_count(), nullptr);
  categories_.assign(table.row_count(), 0);
  channel_kind_.assign(table.row_count(), 0);
  auto add = [&](const CommandSpec& c) {
    by_id_[c.id] = &c;
    for (std::string_view cat : AclCategories(c)) {
      const int i = CategoryIndex(cat.substr(1));
      if (i >= 0) categories_[c.id] |= 1u << i;
    }
    if (c.name == "publish" || c.name == "spublish") channel_kind_[c.id] = 1;
    if (c.name == "subscribe" || c.name == "ssubscribe") channel_kind_[c.id] = 2;
    if (c.name == "psubscribe") channel_kind_[c.id] = 3;
  };
  for (const CommandSpec* c : table.all()) {
    add(*c);
    for (const auto& sub : c->subcommands) add(*sub);
  }
  default_ = std::make_shared<AclUser>();
  default_->name = "default";
  for (std::string_view rule : {"on", "nopass", "~*", "&*", "+@all"}) ApplyRule(*default_, rule);
  users_.emplace("default", default_);
}

std::shared_ptr<AclUser> Acl::Find(std::string_view name) const {
  auto it = users_.find(name);
  return it == users_.end() ? nullptr : it->second;
}

void Acl::Recompute(AclUser& user) const {
  bool all = true;
  for (const CommandSpec* c : by_id_) {
    if (c != nullptr && !user.Allows(*c)) all = false;
  }
  user.unrestricted = all && user.all_keys && user.all_channels;
}

void Acl::SetCommandBits(AclUser& user, const CommandSpec& spec, bool allow) const {
  const uint64_t bit = uint64_t{1} << (spec.id % 64);
  if (allow) {
    user.commands[spec.id / 64] |= bit;
  } else {
    user.commands[spec.id / 64] &= ~bit;
  }
  user.first_args.erase(spec.id);
  for (const auto& sub : spec.subcommands) SetCommandBits(user, *sub, allow);
}

void Acl::AddCommandRule(AclUser& user, std::string rule, std::string_view target) const {
  // A later rule for the same command or category replaces the earlier one.
  std::erase_if(user.command_rules,
                [&](const std::string& r) { return std::string_view(r).substr(1) == target; });
  user.command_rules.push_back(std::move(rule));
}

std::string Acl::ApplyCommandRule(AclUser& user, std::string_view rule) const {
  const bool allow = rule[0] == '+';
  std::string_view name = rule.substr(1);
  if (!name.empty() && name[0] == '@') {
    if (EqualsIgnoreCase(name, "@all")) {
      std::fill(user.commands.begin(), user.commands.end(), allow ? ~uint64_t{0} : 0);
      user.first_args.clear();
      user.base_all = allow;
      user.command_rules.clear();
      return {};
    }
    const int cat = CategoryIndex(name.substr(1));
    if (cat < 0) return std::string(kUnknownCommand);
    for (const CommandSpec* c : by_id_) {
      if (c != nullptr && (categories_[c->id] >> cat & 1) != 0) SetCommandBits(user, *c, allow);
    }
    AddCommandRule(user, fmt::format("{}@{}", rule[0], kCategories[cat]), name);
    return {};
  }
  const size_t bar = name.find('|');
  if (bar == std::string_view::npos) {
    const CommandSpec* c = table_.Find(name);
    if (c == nullptr || HasFlag(c->flags, F::kInternal)) return std::string(kUnknownCommand);
    SetCommandBits(user, *c, allow);
    // Rules naming this command's subcommands are covered by this one.
    const std::string prefix = c->name + "|";
    std::erase_if(user.command_rules, [&](const std::string& r) {
      return std::string_view(r).substr(1).starts_with(prefix);
    });
    AddCommandRule(user, fmt::format("{}{}", rule[0], c->name), c->name);
    return {};
  }
  const CommandSpec* c = table_.Find(name.substr(0, bar));
  const std::string_view arg = name.substr(bar + 1);
  if (c == nullptr || HasFlag(c->flags, F::kInternal) || arg.empty()) {
    return std::string(kUnknownCommand);
  }
  if (c->is_container()) {
    if (arg.find('|') != std::string_view::npos) {
      return "Allowing first-arg of a subcommand is not supported";
    }
    const CommandSpec* sub = c->FindSubcommand(arg);
    if (sub == nullptr) return std::string(kUnknownCommand);
    SetCommandBits(user, *sub, allow);
    AddCommandRule(user, fmt::format("{}{}", rule[0], sub->name), sub->name);
    return {};
  }
  // A first argument of a plain command (+select|0): allowing only.
  if (!allow || arg.find('|') != std::string_view::npos) return std::string(kUnknownCommand);
  if (user.Allows(*c)) return {};
  std::vector<std::string>& args = user.first_args[c->id];
  const std::string lower = Lower(arg);
  if (std::find(args.begin(), args.end(), lower) == args.end()) args.push_back(lower);
  const std::string full = c->name + "|" + lower;
  AddCommandRule(user, "+" + full, full);
  return {};
}

std::string Acl::ApplyRule(AclUser& user, std::string_view rule) const {
  if (user.commands.empty()) user.commands.assign((by_id_.size() + 63) / 64, 0);
  auto is = [&](std::string_view word) { return EqualsIgnoreCase(rule, word); };
  if (is("on")) {
    user.enabled = true;
  } else if (is("off")) {
    user.enabled = false;
  } else if (is("skip-sanitize-payload")) {
    user.skip_sanitize_payload = true;
    user.sanitize_payload = false;
  } else if (is("sanitize-payload")) {
    user.sanitize_payload = true;
    user.skip_sanitize_payload = false;
  } else if (is("nopass")) {
    user.nopass = true;
    user.passwords.clear();
  } else if (is("resetpass")) {
    user.nopass = false;
    user.passwords.clear();
  } else if (is("allkeys")) {
    user.all_keys = true;
    user.keys.clear();
  } else if (is("resetkeys")) {
    user.all_keys = false;
    user.keys.clear();
  } else if (is("allchannels")) {
    user.all_channels = true;
    user.channels.clear();
  } else if (is("resetchannels")) {
    user.all_channels = false;
    user.channels.clear();
  } else if (is("allcommands")) {
    ApplyCommandRule(user, "+@all");
  } else if (is("nocommands")) {
    ApplyCommandRule(user, "-@all");
  } else if (is("reset")) {
    for (std::string_view r : {"resetpass", "resetkeys", "resetchannels", "off", "-@all"}) {
      ApplyRule(user, r);
    }
    user.sanitize_payload = user.skip_sanitize_payload = false;
  } else if (rule.starts_with('>') || rule.starts_with('#')) {
    std::string hash = rule[0] == '>' ? Sha256::HexOf(rule.substr(1)) : std::string(rule.substr(1));
    if (rule[0] == '#' && !ValidHash(hash)) return std::string(kBadHash);
    if (std::find(user.passwords.begin(), user.passwords.end(), hash) == user.passwords.end()) {
      user.passwords.push_back(std::move(hash));
    }
    user.nopass = false;
  } else if (rule.starts_with('<') || rule.starts_with('!')) {
    const std::string hash =
        rule[0] == '<' ? Sha256::HexOf(rule.substr(1)) : std::string(rule.substr(1));
    if (rule[0] == '!' && !ValidHash(hash)) return std::string(kBadHash);
    auto it = std::find(user.passwords.begin(), user.passwords.end(), hash);
    if (it == user.passwords.end()) {
      return "The password you are trying to remove from the user does not exist";
    }
    user.passwords.erase(it);
  } else if (rule.starts_with('~') || rule.starts_with('%')) {
    bool read = true, write = true;
    std::string_view pattern = rule.substr(1);
    if (rule[0] == '%') {
      const size_t tilde = rule.find('~');
      if (tilde == std::string_view::npos || tilde == 1) return "Syntax error";
      read = write = false;
      for (char c : rule.substr(1, tilde - 1)) {
        bool& flag = (c == 'R' || c == 'r') ? read : write;
        if ((c != 'R' && c != 'r' && c != 'W' && c != 'w') || flag) return "Syntax error";
        flag = true;
      }
      pattern = rule.substr(tilde + 1);
    }
    if (user.all_keys) {
      return "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and "
             "does not have any effect. Try 'resetkeys' to start with an empty list of patterns";
    }
    if (pattern == "*" && read && write) {
      user.all_keys = true;
      user.keys.clear();
      return {};
    }
    auto it = std::find_if(user.keys.begin(), user.keys.end(),
                           [&](const AclKeyPattern& k) { return k.pattern == pattern; });
    if (it != user.keys.end()) {
      it->read |= read;
      it->write |= write;
    } else {
      user.keys.push_back({std::string(pattern), read, write});
    }
  } else if (rule.starts_with('&')) {
    if (user.all_channels) {
      return "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and "
             "does not have any effect. Try 'resetchannels' to start with an empty list of "
             "channels";
    }
    const std::string_view pattern = rule.substr(1);
    if (pattern == "*") {
      user.all_channels = true;
      user.channels.clear();
    } else if (std::find(user.channels.begin(), user.channels.end(), pattern) ==
               user.channels.end()) {
      user.channels.emplace_back(pattern);
    }
  } else if (rule.starts_with('+') || rule.starts_with('-')) {
    if (std::string error = ApplyCommandRule(user, rule); !error.empty()) return error;
  } else {
    return "Syntax error";
  }
  Recompute(user);
  return {};
}

std::string Acl::SetUser(std::string_view name, std::span<const std::string_view> rules) {
  if (name.find_first_of(std::string_view(" \0", 2)) != std::string_view::npos) {
    return "ERR Usernames can't contain spaces or null characters";
  }
  std::shared_ptr<AclUser> existing = Find(name);
  AclUser user;
  if (existing != nullptr) {
    user = *existing;
  } else {
    user.name = std::string(name);
    ApplyRule(user, "resetchannels");
    ApplyRule(user, "-@all");
  }
  for (std::string_view rule : rules) {
    if (std::string error = ApplyRule(user, rule); !error.empty()) {
      return fmt::format("ERR Error in ACL SETUSER modifier '{}': {}", rule, error);
    }
  }
  Recompute(user);
  if (existing != nullptr) {
    *existing = std::move(user);  // in place: its clients see the new rules
  } else {
    users_.emplace(std::string(name), std::make_shared<AclUser>(std::move(user)));
  }
  return {};
}

bool Acl::DelUser(std::string_view name) {
  auto it = users_.find(name);
  if (it == users_.end()) return false;
  users_.erase(it);
  return true;
}

void Acl::SyncDefaultPassword(const std::string& password) {
  ApplyRule(*default_, "resetpass");
  ApplyRule(*default_, password.empty() ? std::string("nopass") : ">" + password);
}

AclDenial Acl::Check(const AclUser& user, const CommandSpec& spec,
                     std::span<const std::string_view> argv, size_t* pos) const {
  *pos = 0;
  if (user.unrestricted) return AclDenial::kNone;
  // AUTH, HELLO, QUIT and RESET run for everyone (a client must be able to log in).
  if (!user.Allows(spec) && !HasFlag(spec.flags, F::kNoAuth)) {
    auto it = user.first_args.find(spec.id);
    if (it == user.first_args.end() || argv.size() < 2) return AclDenial::kCommand;
    const std::string first = Lower(argv[1]);
    if (std::find(it->second.begin(), it->second.end(), first) == it->second.end()) {
      return AclDenial::kCommand;
    }
  }
  if (!user.all_keys && spec.has_keys()) {
    // Writes need write access to their keys, everything else read access.
    const bool write = HasFlag(spec.flags, F::kWrite);
    for (size_t i : spec.KeyPositions(argv)) {
      const bool ok = std::any_of(user.keys.begin(), user.keys.end(), [&](const AclKeyPattern& k) {
        return (write ? k.write : k.read) && GlobMatch(k.pattern, argv[i]);
      });
      if (!ok) {
        *pos = i;
        return AclDenial::kKey;
      }
    }
  }
  const uint8_t kind = channel_kind_[spec.id];
  if (!user.all_channels && kind != 0) {
    const size_t end = kind == 1 ? std::min<size_t>(2, argv.size()) : argv.size();
    for (size_t i = 1; i < end; i++) {
      const bool ok = AllowsChannel(user, argv[i], kind == 3);
      if (!ok) {
        *pos = i;
        return AclDenial::kChannel;
      }
    }
  }
  return AclDenial::kNone;
}

bool Acl::AllowsChannel(const AclUser& user, std::string_view channel, bool literal) {
  if (user.all_channels) return true;
  return std::any_of(user.channels.begin(), user.channels.end(), [&](const std::string& c) {
    return literal ? c == channel : GlobMatch(c, channel);
  });
}

std::string Acl::DenialError(AclDenial why, const CommandSpec& spec) {
  switch (why) {
    case AclDenial::kKey:
      return "NOPERM this user has no permissions to access one of the keys used as arguments";
    case AclDenial::kChannel:
      return "NOPERM this user has no permissions to access one of the channels used as "
             "arguments";
    default:
      return fmt::format("NOPERM this user has no permissions to run the '{}' command", spec.name);
  }
}

std::string Acl::DescribeCommands(const AclUser& user) {
  std::string out = user.base_all ? "+@all" : "-@all";
  for (const std::string& r : user.command_rules) out += " " + r;
  return out;
}

std::string Acl::DescribeKeys(const AclUser& user) {
  if (user.all_keys) return "~*";
  std::string out;
  for (const AclKeyPattern& k : user.keys) {
    if (!out.empty()) out += ' ';
    if (k.read && k.write) {
      out += "~";
    } else {
      out += k.read ? "%R~" : "%W~";
    }
    out += k.pattern;
  }
  return out;
}

std::string Acl::DescribeChannels(const AclUser& user) {
  if (user.all_channels) return "&*";
  std::string out;
  for (const std::string& c : user.channels) {
    if (!out.empty()) out += ' ';
    out += "&" + c;
  }
  return out;
}

std::string Acl::DescribeUser(const AclUser& user) {
  std::string out = fmt::format("user {} {}", user.name, user.enabled ? "on" : "off");
  if (user.nopass) out += " nopass";
  if (user.sanitize_payload) out += " sanitize-payload";
  if (user.skip_sanitize_payload) out += " skip-sanitize-payload";
  for (const std::string& h : user.passwords) out += " #" + h;
  if (std::string keys = DescribeKeys(user); !keys.empty()) out += " " + keys;
  if (!user.all_channels) out += " resetchannels";
  if (std::string channels = DescribeChannels(user); !channels.empty()) out += " " + channels;
  out += " " + DescribeCommands(user);
  return out;
}

void Acl::Log(AclDenial reason, AclContext context, std::string_view object,
              std::string_view username, int64_t now_ms, std::string client_info) {
  switch (reason) {
    case AclDenial::kAuth:
      stats_.denied_auth++;
      break;
    case AclDenial::kCommand:
      stats_.denied_cmd++;
      break;
    case AclDenial::kKey:
      stats_.denied_key++;
      break;
    case AclDenial::kChannel:
      stats_.denied_channel++;
      break;
    case AclDenial::kNone:
      break;
  }
  // The same refusal within a minute of the last one like it counts there, as Redis.
  constexpr int64_t kMergeMs = 60'000;
  for (size_t i = 0; i < log_.size(); i++) {
    AclLogEntry& e = log_[i];
    if (e.reason == reason && e.context == context && e.object == object &&
        e.username == username && now_ms - e.created_ms < kMergeMs) {
      AclLogEntry moved = std::move(e);
      moved.count++;
      moved.created_ms = now_ms;
      moved.client_info = std::move(client_info);
      log_.erase(log_.begin() + static_cast<ptrdiff_t>(i));
      log_.push_front(std::move(moved));
      return;
    }
  }
  log_.push_front({1, reason, context, std::string(object), std::string(username), now_ms,
                   std::move(client_info)});
  while (log_.size() > log_max_len_) log_.pop_back();
}

void Acl::set_log_max_len(size_t n) {
  log_max_len_ = n;
  while (log_.size() > log_max_len_) log_.pop_back();
}

}  // namespace tidekv::engine
