#include "lb/discovery/etcd_wire.h"

#include <array>
#include <charconv>

#include <boost/json.hpp>

namespace tandem::lb {
namespace {

namespace json = boost::json;

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<std::int8_t, 256> decode_table() {
  std::array<std::int8_t, 256> t{};
  for (auto& v : t) v = -1;
  for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(kAlphabet[i])] = static_cast<std::int8_t>(i);
  return t;
}
constexpr auto kDecode = decode_table();

// An int64 as the gateway writes it (a string), or as a plain number.
bool read_int64(const json::object& o, std::string_view field, std::int64_t& out) {
  const auto* v = o.if_contains(field);
  if (!v) return false;
  if (v->is_int64()) {
    out = v->as_int64();
    return true;
  }
  if (v->is_uint64() && v->as_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
    out = static_cast<std::int64_t>(v->as_uint64());
    return true;
  }
  if (!v->is_string()) return false;
  const auto& s = v->as_string();
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

bool read_bool(const json::object& o, std::string_view field) {
  const auto* v = o.if_contains(field);
  return v && v->is_bool() && v->as_bool();
}

// FIELD of O, base64-decoded into OUT; absent is empty (the gateway leaves
// out empty values).
bool read_bytes(const json::object& o, std::string_view field, std::string& out) {
  const auto* v = o.if_contains(field);
  if (!v) {
    out.clear();
    return true;
  }
  if (!v->is_string()) return false;
  auto decoded = base64_decode(v->as_string());
  if (!decoded) return false;
  out = std::move(*decoded);
  return true;
}

std::optional<EtcdKv> read_kv(const json::value& v, std::string& error) {
  if (!v.is_object()) {
    error = "a key-value is not an object";
    return std::nullopt;
  }
  const auto& o = v.as_object();
  EtcdKv kv;
  if (!read_bytes(o, "key", kv.key) || kv.key.empty()) {
    error = "a key-value has no valid base64 key";
    return std::nullopt;
  }
  if (!read_bytes(o, "value", kv.value)) {
    error = "key '" + kv.key + "' has a value that is not base64";
    return std::nullopt;
  }
  read_int64(o, "mod_revision", kv.mod_revision);
  return kv;
}

// The gateway's error object: {"error": "...", "code": N, "message": "..."}
// for a unary call, {"error": {"grpc_code": N, "message": "..."}} in a stream.
std::string error_text(const json::object& o) {
  const auto* e = o.if_contains("error");
  const json::object* where = e && e->is_object() ? &e->as_object() : &o;
  if (const auto* m = where->if_contains("message"); m && m->is_string()) return std::string(m->as_string());
  if (e && e->is_string()) return std::string(e->as_string());
  return "etcd answered an error";
}

std::optional<json::object> parse_object(std::string_view text, std::string& error) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) {
    error = ec ? "not JSON: " + ec.message() : "not a JSON object";
    return std::nullopt;
  }
  return std::move(v.as_object());
}

}  // namespace

std::string base64_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const auto n = (std::uint32_t{static_cast<unsigned char>(bytes[i])} << 16) |
                   (std::uint32_t{static_cast<unsigned char>(bytes[i + 1])} << 8) |
                   std::uint32_t{static_cast<unsigned char>(bytes[i + 2])};
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  if (const auto left = bytes.size() - i; left > 0) {
    std::uint32_t n = std::uint32_t{static_cast<unsigned char>(bytes[i])} << 16;
    if (left == 2) n |= std::uint32_t{static_cast<unsigned char>(bytes[i + 1])} << 8;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += left == 2 ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (std::size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    int pad = 0;
    std::uint32_t n = 0;
    for (std::size_t j = 0; j < 4; ++j) {
      const char c = text[i + j];
      if (c == '=' && last && j >= 2) {
        ++pad;
        n <<= 6;
        continue;
      }
      const auto d = kDecode[static_cast<unsigned char>(c)];
      if (d < 0 || pad > 0) return std::nullopt;  // a bad byte, or data after '='
      n = (n << 6) | static_cast<std::uint32_t>(d);
    }
    // Canonical only: the bits a pad drops must be zero (one spelling per
    // value, as etcd writes it).
    if ((pad == 1 && (n & 0xff) != 0) || (pad == 2 && (n & 0xffff) != 0)) return std::nullopt;
    out += static_cast<char>((n >> 16) & 0xff);
    if (pad < 2) out += static_cast<char>((n >> 8) & 0xff);
    if (pad < 1) out += static_cast<char>(n & 0xff);
  }
  return out;
}

std::string prefix_range_end(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    auto& last = reinterpret_cast<unsigned char&>(end.back());
    if (last < 0xff) {
      ++last;
      return end;
    }
    end.pop_back();
  }
  return std::string(1, '\0');  // every key from PREFIX on
}

std::string range_request_body(std::string_view prefix) {
  json::object o;
  o["key"] = base64_encode(prefix);
  o["range_end"] = base64_encode(prefix_range_end(prefix));
  o["limit"] = std::to_string(kMaxEtcdKeys + 1);
  return json::serialize(o);
}

std::string watch_request_body(std::string_view prefix, std::int64_t start_revision) {
  json::object create;
  create["key"] = base64_encode(prefix);
  create["range_end"] = base64_encode(prefix_range_end(prefix));
  create["start_revision"] = std::to_string(start_revision);
  return json::serialize(json::object{{"create_request", std::move(create)}});
}

std::optional<EtcdRange> parse_range(std::string_view body, std::string& error) {
  auto o = parse_object(body, error);
  if (!o) return std::nullopt;
  if (o->contains("error")) {
    error = "etcd: " + error_text(*o);
    return std::nullopt;
  }
  EtcdRange range;
  const auto* header = o->if_contains("header");
  if (!header || !header->is_object() || !read_int64(header->as_object(), "revision", range.revision) ||
      range.revision <= 0) {
    error = "the answer has no header revision";
    return std::nullopt;
  }
  range.more = read_bool(*o, "more");
  if (const auto* kvs = o->if_contains("kvs")) {
    if (!kvs->is_array()) {
      error = "kvs is not an array";
      return std::nullopt;
    }
    for (const auto& v : kvs->as_array()) {
      auto kv = read_kv(v, error);
      if (!kv) return std::nullopt;
      range.kvs.push_back(std::move(*kv));
    }
  }
  return range;
}

std::optional<EtcdWatchMessage> parse_watch_message(std::string_view line, std::string& error) {
  auto o = parse_object(line, error);
  if (!o) return std::nullopt;
  const auto* result = o->if_contains("result");
  if (!result || !result->is_object()) {
    error = "etcd: " + error_text(*o);
    return std::nullopt;
  }
  const auto& r = result->as_object();
  EtcdWatchMessage m;
  if (const auto* header = r.if_contains("header"); header && header->is_object())
    read_int64(header->as_object(), "revision", m.revision);
  m.created = read_bool(r, "created");
  m.canceled = read_bool(r, "canceled");
  read_int64(r, "compact_revision", m.compact_revision);
  if (const auto* reason = r.if_contains("cancel_reason"); reason && reason->is_string())
    m.cancel_reason = std::string(reason->as_string());
  if (const auto* events = r.if_contains("events")) {
    if (!events->is_array()) {
      error = "events is not an array";
      return std::nullopt;
    }
    for (const auto& v : events->as_array()) {
      if (!v.is_object()) {
        error = "an event is not an object";
        return std::nullopt;
      }
      const auto& e = v.as_object();
      EtcdEvent event;
      if (const auto* type = e.if_contains("type")) {
        // The enum by name ("PUT" is the default and left out) or number.
        if (type->is_string()) {
          event.deleted = type->as_string() == "DELETE";
          if (!event.deleted && type->as_string() != "PUT") {
            error = "an event has an unknown type";
            return std::nullopt;
          }
        } else if (type->is_int64()) {
          event.deleted = type->as_int64() == 1;
        }
      }
      const auto* kv = e.if_contains("kv");
      if (!kv) {
        error = "an event has no kv";
        return std::nullopt;
      }
      auto parsed = read_kv(*kv, error);
      if (!parsed) return std::nullopt;
      event.kv = std::move(*parsed);
      m.events.push_back(std::move(event));
    }
  }
  return m;
}

bool EtcdStreamLines::feed(std::string_view bytes, std::vector<std::string>& lines) {
  while (!bytes.empty()) {
    const auto nl = bytes.find('\n');
    const auto piece = bytes.substr(0, nl);
    if (partial_.size() + piece.size() > kMaxEtcdLineBytes) return false;
    partial_.append(piece);
    if (nl == std::string_view::npos) break;
    if (!partial_.empty() && partial_ != "\r") lines.push_back(std::move(partial_));
    partial_.clear();
    bytes.remove_prefix(nl + 1);
  }
  return true;
}

}  // namespace tandem::lb
