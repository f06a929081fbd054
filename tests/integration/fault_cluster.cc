#include "tests/integration/fault_cluster.h"

#include <ctime>
#include <fstream>
#include <regex>
#include <stdexcept>

#include "tests/integration/fault_model.h"
#include "tests/integration/persistence_util.h"

namespace tidekv::integration::faults {

namespace fs = std::filesystem;

namespace {

SyncCounters Plus(const SyncCounters& a, const SyncCounters& b) {
  return {a.full + b.full, a.partial_ok + b.partial_ok, a.from_disk + b.from_disk, a.err + b.err,
          a.frames_from_disk + b.frames_from_disk};
}

// "12345 I 2026-11-23 23:59:01.123 [replication] ...": the wall time in ms, or -1.
int64_t LineTimeMs(const std::string& line) {
  std::tm tm{};
  int ms = 0;
  if (std::sscanf(line.c_str(), "%*d %*s %d-%d-%d %d:%d:%d.%d", &tm.tm_year, &tm.tm_mon,
                  &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms) != 7) {
    return -1;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  tm.tm_isdst = -1;
  const std::time_t t = std::mktime(&tm);  // spdlog writes local time
  return static_cast<int64_t>(t) * 1000 + ms;
}

std::string Tail(const std::string& log, size_t bytes = 3000) {
  return log.size() > bytes ? "..." + log.substr(log.size() - bytes) : log;
}

}  // namespace

Cluster::Cluster(fs::path root, std::vector<std::string> args)
    : root_(std::move(root)), args_(std::move(args)) {
  for (int i = 0; i < kNodes; i++) {
    Node n;
    n.index = i;
    n.name = "n" + std::to_string(i);
    n.data = root_ / n.name;
    nodes_.push_back(std::move(n));
  }
}

std::vector<std::string> Cluster::ArgsFor(int i) const {
  std::vector<std::string> args = args_;
  const Node& n = nodes_[static_cast<size_t>(i)];
  if (n.port != 0) {
    args.push_back("--port");
    args.push_back(std::to_string(n.port));
  }
  return args;
}

void Cluster::Start() {
  const int64_t since = WallMs();
  Node& p = node(0);
  p.process = StartServerOn(p.data, ArgsFor(0));
  p.port = p.process->port();
  primary_ = 0;
  RecordIdentity(0, since, false);
  for (Node& n : nodes_) n.link = std::make_unique<TcpProxy>(p.port);
  for (int i = 1; i < kNodes; i++) {
    Node& r = node(i);
    r.process = StartReplicaOn(r.data, r.link->port(), ArgsFor(i));
    r.port = r.process->port();
  }
}

std::vector<int> Cluster::replicas() const {
  std::vector<int> out;
  for (int i = 0; i < kNodes; i++) {
    if (i != primary_) out.push_back(i);
  }
  return out;
}

RedisConnection Cluster::Connect(int i) {
  if (!up(i)) throw std::runtime_error("node " + node(i).name + " is down");
  return node(i).process->Connect();
}

void Cluster::RecordIdentity(int i, int64_t since_ms, bool promoted) {
  RedisConnection c = Connect(i);
  const std::string info = ReplInfo(c.get());
  Identity id;
  id.node = i;
  id.since_ms = since_ms;
  id.replid = InfoField(info, "master_replid");
  id.replid2 = InfoField(info, "master_replid2");
  id.second_offset = std::stoll(InfoField(info, "second_repl_offset"));
  id.next_offset = std::stoll(InfoField(info, "master_repl_offset"));
  id.promoted = promoted;
  identities_.push_back(std::move(id));
}

const Identity* Cluster::IdentityAt(int primary, int64_t ms) const {
  const Identity* found = nullptr;
  for (const Identity& id : identities_) {
    if (id.node == primary && id.since_ms <= ms) found = &id;
  }
  return found;
}

int Cluster::NodeByPort(int64_t port) const {
  for (const Node& n : nodes_) {
    if (n.port == port) return n.index;
  }
  return -1;
}

void Cluster::ParseLog(int i, bool final) {
  Node& n = node(i);
  if (n.process == nullptr) return;
  const std::string log = n.process->Log();
  size_t end = log.size();
  if (!final) {
    const size_t newline = log.rfind('\n');
    end = newline == std::string::npos ? 0 : newline + 1;
  }
  if (end <= n.log_parsed) return;
  static const std::regex full(R"(replica (\S+) needs a full sync \(asked for (\S+) (-?\d+)\))");
  static const std::regex resume(
      R"(replica (\S+) resumes at offset (\d+) \((from the log store|from the memory backlog);)");
  static const std::regex future(R"(replica (\S+) asked for offset (\d+) of history (\S+),)");
  size_t pos = n.log_parsed;
  while (pos < end) {
    size_t eol = log.find('\n', pos);
    if (eol == std::string::npos || eol > end) eol = end;
    const std::string line = log.substr(pos, eol - pos);
    pos = eol + 1;
    if (line.find("[replication]") == std::string::npos) continue;
    std::smatch m;
    SyncEvent e;
    if (std::regex_search(line, m, full)) {
      e.kind = SyncEvent::Kind::kFull;
      e.asked_id = m[2].str();
      e.asked_offset = std::stoll(m[3].str());
    } else if (std::regex_search(line, m, resume)) {
      e.kind = m[3].str() == "from the log store" ? SyncEvent::Kind::kPartialDisk
                                                  : SyncEvent::Kind::kPartialMemory;
      e.asked_offset = std::stoll(m[2].str());
    } else if (std::regex_search(line, m, future)) {
      e.kind = SyncEvent::Kind::kFuture;
      e.asked_offset = std::stoll(m[2].str());
      e.asked_id = m[3].str();
    } else {
      continue;
    }
    e.primary = i;
    e.wall_ms = LineTimeMs(line);
    e.line = line;
    if (e.kind != SyncEvent::Kind::kFuture) {
      const std::string slot = m[1].str();
      const size_t colon = slot.rfind(':');
      if (colon != std::string::npos) e.replica = NodeByPort(std::stoll(slot.substr(colon + 1)));
      e.slot_known = n.slots_served.count(slot) > 0;
      e.slot_known_before_restart = !e.slot_known && n.slots_ever.count(slot) > 0;
      n.slots_served.insert(slot);
      n.slots_ever.insert(slot);
    }
    events_.push_back(std::move(e));
  }
  n.log_parsed = std::max(n.log_parsed, end);
}

void Cluster::EndProcess(int i) {
  Node& n = node(i);
  ParseLog(i, true);
  n.old_logs.push_back(n.process->Log());
  n.last_log_tail = Tail(n.old_logs.back());
  n.ended = Plus(n.ended, n.counters);
  n.counters = SyncCounters{};
  n.log_parsed = 0;
  n.slots_served.clear();
  n.process.reset();
}

void Cluster::Kill(int i, bool sample) {
  if (sample) Sample();
  KillHard(*node(i).process);
  EndProcess(i);
}

std::string Cluster::Shutdown(int i) {
  Sample();
  std::string why;
  try {
    ShutdownClean(*node(i).process);
  } catch (const std::exception& e) {
    why = node(i).name + ": " + e.what();
  }
  EndProcess(i);
  return why;
}

void Cluster::Restart(int i) {
  Node& n = node(i);
  if (up(i)) throw std::runtime_error("node " + n.name + " is already up");
  const int64_t since = WallMs();
  if (i == primary_) {
    n.process = StartServerOn(n.data, ArgsFor(i));
    RecordIdentity(i, since, false);
  } else {
    n.link->SetTarget(node(primary_).port);
    n.process = StartReplicaOn(n.data, n.link->port(), ArgsFor(i));
  }
}

void Cluster::Promote(int i) {
  const int64_t since = WallMs();
  RedisConnection c = Connect(i);
  const std::string reply = Call(c.get(), {"REPLICAOF", "NO", "ONE"});
  if (reply != "OK") throw std::runtime_error(node(i).name + ": REPLICAOF NO ONE: " + reply);
  primary_ = i;
  RecordIdentity(i, since, true);
}

void Cluster::Follow(int i) {
  Node& n = node(i);
  // A new proxy, so that REPLICAOF names a new address (the same one would be a no-op:
  // "Already connected to specified master"); the old one goes once the node moved.
  auto link = std::make_unique<TcpProxy>(node(primary_).port);
  RedisConnection c = Connect(i);
  const std::string reply = Call(c.get(), {"REPLICAOF", "127.0.0.1", std::to_string(link->port())});
  if (reply != "OK") throw std::runtime_error(n.name + ": REPLICAOF: " + reply);
  n.link = std::move(link);
}

std::optional<int> Cluster::Exited(int i) {
  if (!up(i)) return std::nullopt;
  std::optional<int> code = node(i).process->WaitExit(std::chrono::milliseconds(0));
  if (code) EndProcess(i);
  return code;
}

void Cluster::Sample() {
  for (Node& n : nodes_) {
    if (n.process == nullptr) continue;
    RedisConnection c = n.process->Connect();
    n.counters = CountersIn(ReplInfo(c.get()));
  }
}

SyncCounters Cluster::CounterTotals() const {
  SyncCounters total;
  for (const Node& n : nodes_) total = Plus(total, Plus(n.ended, n.counters));
  return total;
}

std::vector<SyncEvent> Cluster::TakeSyncEvents() {
  for (int i = 0; i < kNodes; i++) ParseLog(i, false);
  std::vector<SyncEvent> out = std::move(events_);
  events_.clear();
  return out;
}

void Cluster::SaveArtifacts(const fs::path& dir) {
  fs::create_directories(dir);
  for (Node& n : nodes_) {
    std::vector<std::string> logs = n.old_logs;
    if (n.process != nullptr) logs.push_back(n.process->Log());
    for (size_t i = 0; i < logs.size(); i++) {
      std::ofstream(dir / (n.name + ".process" + std::to_string(i + 1) + ".log")) << logs[i];
    }
    std::error_code ec;
    fs::copy(n.data, dir / n.name, fs::copy_options::recursive, ec);
  }
}

std::string Cluster::Describe() {
  std::string out;
  for (Node& n : nodes_) {
    out += n.name + " port " + std::to_string(n.port) + (n.index == primary_ ? " (primary)" : "");
    out += ", link :" + std::to_string(n.link ? n.link->port() : 0) +
           " -> :" + std::to_string(n.link ? n.link->target() : 0) +
           (n.link && n.link->refusing() ? " (refusing)" : "");
    if (n.process == nullptr) {
      out += ", down; last log:\n" + n.last_log_tail + "\n";
      continue;
    }
    try {
      RedisConnection c = n.process->Connect();
      const std::string info = ReplInfo(c.get());
      for (const char* f : {"role", "master_repl_offset", "master_link_status", "master_replid",
                            "logstore_first_offset", "backlog_first_offset"}) {
        out += std::string(", ") + f + "=" + InfoField(info, f);
      }
    } catch (const std::exception& e) {
      out += std::string(", INFO failed: ") + e.what();
    }
    out += "\nlog:\n" + Tail(n.process->Log()) + "\n";
  }
  return out;
}

}  // namespace tidekv::integration::faults
