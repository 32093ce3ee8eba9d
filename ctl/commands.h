// lbctl's commands, one file each group under ctl/commands/ (status +
// watch + events, servers + drain/disable/enable, failover, stick,
// check-config). Each returns the process exit code (0 healthy, 1 degraded,
// 2 unreachable or error) and prints to stdout (stderr for errors); the
// decisions they print are pure, beside them in ctl/ (failover_plan,
// failover_watch, forwarded, views).
#pragma once

#include "ctl/options.h"
#include "ctl/session.h"

namespace tandem::ctl {

int cmd_status(const Session& s);
int cmd_watch(const Session& s);
int cmd_servers(const Session& s);
int cmd_server_state(const Session& s);  // drain, disable, enable
int cmd_server_set(const Session& s);    // servers add|remove|weight|sync
int cmd_export(const Session& s);
int cmd_node_drain(const Session& s);    // drain NODE, undrain NODE (ha.announce)
// Whether NAME is a node of CLUSTER (drain NODE rather than drain SERVER).
bool names_node(const config::Cluster& cluster, const std::string& name);
int cmd_failover(const Session& s);
int cmd_stick(const Session& s);
int cmd_events(const Session& s);
int cmd_check_config(const Options& o);

// Runs O's command.
int run(const Options& o);

}  // namespace tandem::ctl
