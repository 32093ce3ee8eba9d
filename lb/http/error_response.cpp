#include "lb/http/error_response.h"

#include <array>
#include <string_view>

namespace tandem::lb::http {
namespace {

using boost::beast::http::status;

struct Entry {
  unsigned code;
  std::string_view reason;  // RFC 9110 reason phrase
  std::string_view detail;  // the rest of the body's one line
  bool always_close;
};

constexpr std::array<Entry, 10> entries{{
    {400, "Bad Request", "the request is malformed.", true},
    {408, "Request Timeout", "the request was not received in time.", true},
    {413, "Content Too Large", "the request body is too large.", true},
    {431, "Request Header Fields Too Large", "the request header is too large.", true},
    {500, "Internal Server Error", "the proxy failed to handle this request.", true},
    {501, "Not Implemented", "the request uses a feature this proxy does not support.", true},
    {502, "Bad Gateway", "the server sent an invalid or incomplete response.", false},
    {503, "Service Unavailable", "no server is available to handle this request.", false},
    {504, "Gateway Timeout", "the server did not respond in time.", false},
    {505, "HTTP Version Not Supported", "only HTTP/1.0 and HTTP/1.1 are supported.", true},
}};

constexpr std::size_t fallback = 4;  // 500

// One entry per ErrorCause, in the enum's order; never closes by itself.
constexpr std::array<Entry, 8> causes{{
    {503, "Service Unavailable", "no server is available to handle this request.", false},
    {503, "Service Unavailable",
     "every server is at its connection limit and the wait queue is full.", false},
    {503, "Service Unavailable", "no server had a free connection slot in time.", false},
    {502, "Bad Gateway", "could not connect to any server.", false},
    {502, "Bad Gateway", "the connection to the server failed while sending the request.", false},
    {502, "Bad Gateway", "the server sent an invalid response.", false},
    {502, "Bad Gateway", "the server closed the connection before a complete response.", false},
    {504, "Gateway Timeout", "the server did not respond in time.", false},
}};

std::size_t index_of(status s) noexcept {
  auto const code = static_cast<unsigned>(s);
  for (std::size_t i = 0; i < entries.size(); ++i)
    if (entries[i].code == code) return i;
  return fallback;
}

std::string render(const Entry& e, bool keep_alive, bool head) {
  std::string body = std::to_string(e.code);
  body += ' ';
  body += e.reason;
  body += ": ";
  body += e.detail;
  body += '\n';

  std::string out = "HTTP/1.1 " + std::to_string(e.code) + ' ';
  out += e.reason;
  out += "\r\nContent-Type: text/plain\r\nContent-Length: " + std::to_string(body.size());
  out += "\r\nCache-Control: no-cache\r\nConnection: ";
  out += keep_alive ? "keep-alive" : "close";
  out += "\r\n\r\n";
  if (!head) out += body;
  return out;
}

// [entry][keep_alive][head]
template <std::size_t N>
using Table = std::array<std::array<std::array<std::string, 2>, 2>, N>;

template <std::size_t N>
Table<N> render_all(const std::array<Entry, N>& list) {
  Table<N> t;
  for (std::size_t i = 0; i < N; ++i)
    for (int keep = 0; keep < 2; ++keep)
      for (int head = 0; head < 2; ++head)
        t[i][keep][head] = render(list[i], keep && !list[i].always_close, head);
  return t;
}

const Table<entries.size()>& table() {
  static const auto rendered = render_all(entries);
  return rendered;
}

const Table<causes.size()>& cause_table() {
  static const auto rendered = render_all(causes);
  return rendered;
}

}  // namespace

bool error_closes_connection(status s) noexcept { return entries[index_of(s)].always_close; }

const std::string& error_response(status s, ErrorStyle style) {
  return table()[index_of(s)][style.keep_alive ? 1 : 0][style.head_request ? 1 : 0];
}

status status_for(ErrorCause cause) noexcept {
  return static_cast<status>(causes[static_cast<std::size_t>(cause)].code);
}

const std::string& error_response(ErrorCause cause, ErrorStyle style) {
  return cause_table()[static_cast<std::size_t>(cause)][style.keep_alive ? 1 : 0]
                      [style.head_request ? 1 : 0];
}

}  // namespace tandem::lb::http
