#include "ha/agent/protobuf_log.h"

#include <google/protobuf/stubs/logging.h>
#include <spdlog/spdlog.h>

namespace tandem::ha {

namespace {

void handler(google::protobuf::LogLevel level, const char* filename, int line, const std::string& message) {
  auto spd = spdlog::level::info;
  switch (level) {
    case google::protobuf::LOGLEVEL_INFO: spd = spdlog::level::info; break;
    case google::protobuf::LOGLEVEL_WARNING: spd = spdlog::level::warn; break;
    case google::protobuf::LOGLEVEL_ERROR: spd = spdlog::level::err; break;
    case google::protobuf::LOGLEVEL_FATAL: spd = spdlog::level::critical; break;
  }
  spdlog::log(spd, "protobuf file={}:{} message=\"{}\"", filename, line, message);
}

}  // namespace

void route_protobuf_logs_to_spdlog() { google::protobuf::SetLogHandler(&handler); }

}  // namespace tandem::ha
