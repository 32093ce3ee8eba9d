// What --check-config can know only on the node itself. The validator is pure
// and host-independent (the same file is checked anywhere); these checks ask
// the host, so a file that passes --check-config on the node also starts there:
//   - the key file (ha.key_file) can be read, holds 32+ bytes and is not
//     world-readable (the start reads it with the same read_key_file());
//   - the node's `interface` exists (ha-agent only: the proxy does not use it).
// The host is injected, so the decisions are unit-tested without one.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/loader.h"

namespace tandem::config {

// The questions the checks ask the host.
class Host {
 public:
  virtual ~Host() = default;
  // Whether a network interface called NAME exists here.
  virtual bool interface_exists(const std::string& name) const = 0;
  // Why the key file at PATH cannot be used (missing, too short,
  // world-readable), or nullopt when it can.
  virtual std::optional<std::string> key_file_problem(const std::string& path) const = 0;
};

// The real host: if_nametoindex() and read_key_file() in this process's
// network namespace and with its permissions.
class SystemHost : public Host {
 public:
  bool interface_exists(const std::string& name) const override;
  std::optional<std::string> key_file_problem(const std::string& path) const override;
};

struct HostChecks {
  bool key_file = true;
  bool interface = true;
};

// Problems of the loaded cluster (LOADED.cluster must be set) on HOST for
// NODE, each at the file:line:col of the key that names what is wrong.
std::vector<Problem> check_host(const LoadResult& loaded, const std::string& node, const Host& host,
                                HostChecks what);

}  // namespace tandem::config
