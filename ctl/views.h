// lbctl's tables, rendered from the JSON views of common/control/cluster_view.h
// (the same objects --json prints).
#pragma once

#include <map>
#include <string>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

namespace tandem::ctl {

// The status view as text. PREVIOUS (may be null): the view of the last
// refresh, whose changed cells are highlighted (watch).
std::string render_status(const boost::json::object& view, bool color, const boost::json::object* previous = nullptr);

// The servers view as text.
std::string render_servers(const boost::json::object& view, bool color);

// Transitions (merged_transitions) as text, the last LIMIT.
std::string render_events(const boost::json::array& transitions, std::size_t limit, bool color);

}  // namespace tandem::ctl
