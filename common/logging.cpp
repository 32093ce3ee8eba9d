#include "common/logging.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace tandem {

std::string init_logging(std::string_view process, std::string_view level) {
  auto parsed = spdlog::level::from_str(std::string(level));
  // from_str maps anything unknown to "off"; only accept "off" when asked for.
  if (parsed == spdlog::level::off && level != "off") {
    return "unknown log level '" + std::string(level) +
           "' (use trace, debug, info, warn, error, critical or off)";
  }
  auto logger = spdlog::stderr_color_mt(std::string(process));
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %l %n %v");
  logger->set_level(parsed);
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
  return {};
}

}  // namespace tandem
