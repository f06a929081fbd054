// Acl: users and what each may run (Redis 7.0's ACL, DESIGN.md §9).
//
// Owns the users (the `default` user always exists; security.password is its password), the
// rule parser behind ACL SETUSER, the permission check the dispatcher, EXEC and scripts run
// for every command of a restricted user, and the ACL LOG. Sessions hold their user by
// shared_ptr: ACL SETUSER changes a user in place (its clients see the new rules at their next
// command), ACL DELUSER drops it from the table while its clients, about to be closed, keep
// it. A user with every command, every key and every channel is `unrestricted`: the
// dispatcher then checks nothing more (one branch). Loop thread only.
#pragma once

#include <absl/container/flat_hash_map.h>

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/command_table.h"

namespace tidekv::engine {

struct Session;

// Redis's ACL categories, in ACL CAT's order.
std::span<const std::string_view> AclCategoryNames();
// The categories a command belongs to ("@write", "@string", ...; COMMAND INFO's order).
std::vector<std::string_view> AclCategories(const CommandSpec& c);

struct AclKeyPattern {
  std::string pattern;
  bool read = true;
  bool write = true;
};

struct AclUser {
  std::string name;
  bool enabled = false;
  bool nopass = false;
  bool sanitize_payload = false;  // only shown: tidekv's RESTORE always validates
  bool skip_sanitize_payload = false;
  std::vector<std::string> passwords;  // SHA-256, lowercase hex, in the order added
  // One bit per command row (CommandSpec::id); +cmd|arg rules per row.
  std::vector<uint64_t> commands;
  absl::flat_hash_map<uint32_t, std::vector<std::string>> first_args;
  // The command rules as ACL GETUSER/LIST show them: "+@all" or "-@all", then the rules
  // applied since, without the ones a later rule for the same target replaced.
  bool base_all = false;
  std::vector<std::string> command_rules;
  bool all_keys = false;
  std::vector<AclKeyPattern> keys;
  bool all_channels = false;
  std::vector<std::string> channels;
  // Every command, key and channel: nothing to check.
  bool unrestricted = false;

  bool Allows(const CommandSpec& spec) const {
    return (commands[spec.id / 64] >> (spec.id % 64) & 1) != 0;
  }
  bool CheckPassword(std::string_view password) const;
};

// Why a command is refused (ACL LOG's reason).
enum class AclDenial : uint8_t { kNone, kCommand, kKey, kChannel, kAuth };
// Where it was refused (ACL LOG's context).
enum class AclContext : uint8_t { kTopLevel, kMulti, kLua };

struct AclLogEntry {
  uint64_t count = 1;
  AclDenial reason = AclDenial::kNone;
  AclContext context = AclContext::kTopLevel;
  std::string object;  // the command's full name, the key, the channel, or "auth"
  std::string username;
  int64_t created_ms = 0;
  std::string client_info;
};

// INFO stats counters.
struct AclStats {
  uint64_t denied_auth = 0;
  uint64_t denied_cmd = 0;
  uint64_t denied_key = 0;
  uint64_t denied_channel = 0;
};

class Acl {
 public:
  explicit Acl(const CommandTable& table);
  Acl(const Acl&) = delete;
  Acl& operator=(const Acl&) = delete;

  const std::shared_ptr<AclUser>& default_user() const { return default_; }
  std::shared_ptr<AclUser> Find(std::string_view name) const;
  // Users by name (ACL USERS, ACL LIST).
  const std::map<std::string, std::shared_ptr<AclUser>, std::less<>>& users() const {
    return users_;
  }
  // New connections start authenticated unless the default user is off or has passwords.
  bool default_needs_auth() const { return !(default_->enabled && default_->nopass); }

  // ACL SETUSER: creates the user when new, then applies the rules in order, all or none.
  // On error returns Redis's message ("ERR Error in ACL SETUSER modifier ...").
  std::string SetUser(std::string_view name, std::span<const std::string_view> rules);
  // Applies one rule to a user outside the table (unit tests, SetUser). Returns the reason
  // for a refusal ("Syntax error", ...), "" when applied.
  std::string ApplyRule(AclUser& user, std::string_view rule) const;
  bool DelUser(std::string_view name);
  // security.password changed: the default user's password becomes it (nopass when empty).
  void SyncDefaultPassword(const std::string& password);

  // Whether user may run argv (spec: its resolved row). On refusal *pos is the index of
  // the refused key or channel in argv (0 for the command).
  AclDenial Check(const AclUser& user, const CommandSpec& spec,
                  std::span<const std::string_view> argv, size_t* pos) const;
  // Whether the user may use a channel (a pattern, for PSUBSCRIBE, only as one of its own
  // patterns literally).
  static bool AllowsChannel(const AclUser& user, std::string_view channel, bool literal);
  // The NOPERM error reply for a refusal at top level.
  static std::string DenialError(AclDenial why, const CommandSpec& spec);

  // ACL GETUSER / LIST descriptions.
  static std::string DescribeCommands(const AclUser& user);
  static std::string DescribeKeys(const AclUser& user);
  static std::string DescribeChannels(const AclUser& user);
  static std::string DescribeUser(const AclUser& user);  // ACL LIST's line

  // ACL LOG: records a refusal, merging it into a recent entry for the same thing.
  void Log(AclDenial reason, AclContext context, std::string_view object, std::string_view username,
           int64_t now_ms, std::string client_info);
  const std::deque<AclLogEntry>& log() const { return log_; }
  void ResetLog() { log_.clear(); }
  void set_log_max_len(size_t n);
  AclStats& stats() { return stats_; }

  const CommandTable& table() const { return table_; }

 private:
  void Recompute(AclUser& user) const;
  void SetCommandBits(AclUser& user, const CommandSpec& spec, bool allow) const;
  void AddCommandRule(AclUser& user, std::string rule, std::string_view target) const;
  std::string ApplyCommandRule(AclUser& user, std::string_view rule) const;

  const CommandTable& table_;
  std::vector<const CommandSpec*> by_id_;
  std::vector<uint32_t> categories_;  // category bits per command id
  // Commands that name channels: 1 PUBLISH-like (one channel), 2 SUBSCRIBE-like (all
  // arguments are channels), 3 PSUBSCRIBE (all arguments are patterns, matched literally).
  std::vector<uint8_t> channel_kind_;
  std::map<std::string, std::shared_ptr<AclUser>, std::less<>> users_;
  std::shared_ptr<AclUser> default_;
  std::deque<AclLogEntry> log_;
  size_t log_max_len_ = 128;
  AclStats stats_;
};

}  // namespace tidekv::engine
