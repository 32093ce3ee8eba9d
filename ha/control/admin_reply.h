// An admin HTTP answer (ha/control/admin_http.h), kept apart so the pure
// handlers that produce one need no Asio.
#pragma once

#include <string>

namespace tandem::ha {

// What a GET of a path answers.
struct AdminReply {
  unsigned status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

}  // namespace tandem::ha
