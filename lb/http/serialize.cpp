#include "lb/http/serialize.h"

namespace tandem::lb::http {
namespace {

namespace bhttp = boost::beast::http;

void append_version(unsigned version, std::string& out) {
  const char v[] = {'H', 'T', 'T', 'P', '/', static_cast<char>('0' + version / 10), '.',
                    static_cast<char>('0' + version % 10)};
  out.append(v, sizeof v);
}

template <class Allocator>
void append_fields(const bhttp::basic_fields<Allocator>& fields, std::string& out) {
  for (const auto& f : fields) {
    const auto name = f.name_string();
    const auto value = f.value();
    out.append(name.data(), name.size());
    out.append(": ", 2);
    out.append(value.data(), value.size());
    out.append("\r\n", 2);
  }
  out.append("\r\n", 2);
}

}  // namespace

template <class Fields>
void serialize_header(const bhttp::header<true, Fields>& req, std::string& out) {
  const auto method = req.method_string();
  const auto target = req.target();
  out.append(method.data(), method.size());
  out += ' ';
  out.append(target.data(), target.size());
  out += ' ';
  append_version(req.version(), out);
  out.append("\r\n", 2);
  append_fields(req, out);
}

template <class Fields>
void serialize_header(const bhttp::header<false, Fields>& res, std::string& out) {
  append_version(res.version(), out);
  const unsigned code = res.result_int();
  const char status[] = {' ', static_cast<char>('0' + code / 100), static_cast<char>('0' + (code / 10) % 10),
                         static_cast<char>('0' + code % 10), ' '};
  out.append(status, sizeof status);
  auto reason = res.reason();
  if (reason.empty()) reason = bhttp::obsolete_reason(res.result());
  out.append(reason.data(), reason.size());
  out.append("\r\n", 2);
  append_fields(res, out);
}

std::size_t chunk_size_line(std::size_t size, char (&out)[kMaxChunkSizeLine]) {
  char digits[16];
  std::size_t n = 0;
  do {
    digits[n++] = "0123456789abcdef"[size & 0xf];
    size >>= 4;
  } while (size != 0);
  std::size_t len = 0;
  while (n > 0) out[len++] = digits[--n];
  out[len++] = '\r';
  out[len++] = '\n';
  return len;
}

// The two field containers (arena_fields.h).
template void serialize_header(const bhttp::request_header<>&, std::string&);
template void serialize_header(const bhttp::header<true, ArenaFields>&, std::string&);
template void serialize_header(const bhttp::response_header<>&, std::string&);
template void serialize_header(const bhttp::header<false, ArenaFields>&, std::string&);

}  // namespace tandem::lb::http
