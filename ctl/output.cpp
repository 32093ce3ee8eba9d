#include "ctl/output.h"

#include <cstdio>
#include <iostream>

#include <boost/json/serialize.hpp>

namespace tandem::ctl {

void print_json(const boost::json::value& v) { std::cout << boost::json::serialize(v) << "\n" << std::flush; }

int exit_code(const boost::json::object& view) {
  const auto* v = view.if_contains("exit_code");
  return v && v->is_int64() ? static_cast<int>(v->as_int64()) : 2;
}

std::string fmt_ms(double ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, ms < 10 ? "%.1f ms" : "%.0f ms", ms);
  return buf;
}

}  // namespace tandem::ctl
