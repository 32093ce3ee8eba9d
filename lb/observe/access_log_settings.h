// The cluster file's access_log section with its defaults applied (the
// defaults are documented in config/proto/cluster.proto). Pure.
#pragma once

#include "config/proto/cluster.pb.h"
#include "lb/observe/access_log_writer.h"

namespace tandem::lb::observe {

AccessLogSettings access_log_settings(const config::Cluster& cluster);

}  // namespace tandem::lb::observe
