// The JSON bodies of GET /status and GET /stick, rendered from the typed
// reports (status_report.h). Pure. The key names and value spellings are a
// public interface (scripts, the integration tests, docs/lbctl.md): they do
// not change when the messages gain fields. States are spelled by
// common/control/proxy_status.h.
#pragma once

#include <string>

#include "common/proto/proxy_status.pb.h"

namespace tandem::lb {

std::string status_json(const wire::ProxyStatusReport& report);
std::string stick_json(const wire::StickTableReport& report);

}  // namespace tandem::lb
