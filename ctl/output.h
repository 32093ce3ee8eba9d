// What every lbctl command prints with: JSON on stdout, a view's exit code,
// durations for people.
#pragma once

#include <string>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

namespace tandem::ctl {

// V on one line of stdout, flushed (watch prints one per refresh).
void print_json(const boost::json::value& v);

// A view's "exit_code" (2 when it has none: something went wrong building it).
int exit_code(const boost::json::object& view);

// "3.2 ms" below 10 ms, "42 ms" above.
std::string fmt_ms(double ms);

}  // namespace tandem::ctl
