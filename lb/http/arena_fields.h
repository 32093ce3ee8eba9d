// The field containers lb/http works on: Beast's default `fields` (tests,
// tools) and ArenaFields, what the proxy's parsers fill for each exchange.
// The functions of lb/http are templates over the container, defined in
// their .cpp files and instantiated there for these two.
#pragma once

#include <boost/beast/http/fields.hpp>

#include "lb/http/arena.h"

namespace tandem::lb::http {

/// Header fields whose memory comes from an Arena (see arena.h).
using ArenaFields = boost::beast::http::basic_fields<ArenaAllocator<char>>;

}  // namespace tandem::lb::http
