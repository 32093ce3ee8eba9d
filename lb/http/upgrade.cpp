#include "lb/http/upgrade.h"

#include "lb/http/field_list.h"

namespace tandem::lb::http {

namespace bhttp = boost::beast::http;

std::optional<std::string> upgrade_offer(unsigned version, ConnectionIntent intent, std::string_view upgrade_value) {
  if (version < 11 || !intent.upgrade) return std::nullopt;
  std::string kept;
  bool malformed = false;
  detail::for_each_element(upgrade_value, [&](std::string_view protocol) {
    if (protocol.empty()) return true;  // "a, , b": empty elements are allowed (RFC 9110 §5.6.1)
    // protocol-name ["/" protocol-version], both tokens.
    const auto slash = protocol.find('/');
    const auto name = protocol.substr(0, slash);
    if (!detail::is_token(name) ||
        (slash != std::string_view::npos && !detail::is_token(protocol.substr(slash + 1)))) {
      malformed = true;
      return false;
    }
    if (detail::iequals(name, "h2c")) return true;
    if (!kept.empty()) kept += ", ";
    kept += protocol;
    return true;
  });
  if (malformed || kept.empty()) return std::nullopt;
  return kept;
}

template <class Allocator>
std::string upgrade_field(const bhttp::basic_fields<Allocator>& fields) {
  std::string joined;
  for (auto const& f : fields) {  // the field enum: cheaper than a name compare on every request
    if (f.name() != bhttp::field::upgrade) continue;
    if (!joined.empty()) joined += ", ";
    joined += f.value();
  }
  return joined;
}

template <class Allocator>
void restore_upgrade(bhttp::basic_fields<Allocator>& fields, std::string_view protocols) {
  std::string connection;
  detail::for_each_value(fields, "Connection", [&](std::string_view value) {
    connection = value;
    return false;
  });
  detail::erase_if(fields, [](auto const& f) { return f.name() == bhttp::field::connection; });
  fields.set(bhttp::field::connection, connection.empty() ? std::string("upgrade") : connection + ", upgrade");
  fields.set(bhttp::field::upgrade, protocols);
}

template std::string upgrade_field(const bhttp::fields&);
template std::string upgrade_field(const ArenaFields&);
template void restore_upgrade(bhttp::fields&, std::string_view);
template void restore_upgrade(ArenaFields&, std::string_view);

}  // namespace tandem::lb::http
