// INFO: renders the sections as "# Section\r\nkey:value\r\n..." text. The engine knows the
// keyspace, memory and command sections; what only a network server knows (clients, the
// network counters, replication, persistence, the trace) comes from an InfoSource, which an
// in-process engine does not have (those sections then show idle values).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace tidekv::engine {

class Engine;

// Network counters (INFO stats); the server owns them.
struct NetStats {
  uint64_t connections_received = 0;
  uint64_t rejected_connections = 0;  // max_clients, protected mode
  uint64_t input_bytes = 0;
  uint64_t output_bytes = 0;
  uint64_t client_output_limit_disconnections = 0;
  uint64_t query_buffer_limit_disconnections = 0;
  uint64_t protocol_errors = 0;
};

class InfoSource {
 public:
  virtual ~InfoSource() = default;
  virtual uint16_t port() const = 0;
  // Connected clients and their largest input and output buffers.
  virtual void ClientTotals(size_t* clients, size_t* max_input, size_t* max_output) const = 0;
  virtual int64_t peak_memory() const = 0;
  virtual const NetStats& net_stats() const = 0;
  virtual double instantaneous_ops() const = 0;
  // The event loop's lines of the stats section.
  virtual void AppendLoopStats(std::string& out) const = 0;
  // The bodies of the replication, persistence and trace sections.
  virtual void AppendReplication(std::string& out) const = 0;
  virtual void AppendPersistence(std::string& out) const = 0;
  virtual void AppendTrace(std::string& out) const = 0;
};

// sections: empty or "default" -> the default set; "all"/"everything" -> every section;
// otherwise the named sections (case-insensitive), in the order the server defines.
// source may be nullptr (in-process engine).
std::string BuildInfo(Engine& engine, std::span<const std::string_view> sections,
                      const InfoSource* source);

}  // namespace tidekv::engine
