// libFuzzer target for HTTP responses from backends, as the proxy reads and
// relays them (lb/runtime/http_session.cpp and http_relay.h): the response
// parser with its limits (limit_response_parser), fed through parse_buffered
// (the parsing step of parse_some), the header edits of the way back
// (hop-by-hop, framing, keep-alive, stickiness cookies), the serialized
// header, and the body relayed through a small buffer and re-chunked as
// relay_message does. Checked: what would reach the client parses again as
// one response with the same body.
//
// Input: byte 0 picks how many bytes each read delivers; byte 1 the request
// (HEAD or GET, HTTP/1.0 or 1.1) and the relay buffer size; the rest is what
// the server sends before it closes.
// run: ./http_response_fuzz -max_len=16384 lb/fuzz/corpus/http_response_fuzz
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "lb/http/arena.h"
#include "lb/http/cookies.h"
#include "lb/http/hop_by_hop.h"
#include "lb/http/serialize.h"
#include "lb/runtime/http_relay.h"

namespace {

namespace lb = tandem::lb;
namespace lbh = tandem::lb::http;
using tandem::lb::bhttp::error;

void check(bool invariant) {
  if (!invariant) std::abort();
}

// The server's side of the connection: bytes arrive STEP at a time.
struct Server {
  std::string_view rest;
  std::size_t step;
  // Reads into BUFFER as async_read_some would; false at the close.
  bool read(boost::beast::flat_buffer& buffer) {
    if (rest.empty()) return false;
    const auto n = std::min(step, rest.size());
    auto room = buffer.prepare(n);
    std::copy_n(rest.data(), n, static_cast<char*>(room.data()));
    buffer.commit(n);
    rest.remove_prefix(n);
    return true;
  }
};

// parse_some without the socket: parse what is buffered, read when more is
// needed, and at the close as parse_some does.
template <bool isRequest>
boost::system::error_code parse_some(Server& server, boost::beast::flat_buffer& buffer,
                                     lb::BufferParser<isRequest>& parser) {
  for (;;) {
    auto ec = lb::parse_buffered(buffer, parser);
    if (ec != error::need_more) return ec;
    if (!server.read(buffer)) {
      if (!parser.got_some()) return error::end_of_stream;
      ec = {};
      parser.put_eof(ec);
      return ec;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  Server server{std::string_view(reinterpret_cast<const char*>(data) + 2, size - 2),
                (data[0] & 0x3f) == 0 ? SIZE_MAX : (data[0] & 0x3f)};
  const bool head = data[1] & 1;
  const unsigned client_version = (data[1] & 2) ? 10 : 11;
  const std::size_t chunk_room = std::size_t{16} << ((data[1] >> 2) & 7);  // 16 B .. 2 KiB

  lbh::Arena arena;
  // The request this answers, as the proxy parsed and forwarded it.
  lb::BufferParser<true> request(arena);
  boost::beast::flat_buffer request_bytes;
  const std::string request_text = std::string(head ? "HEAD" : "GET") + " / HTTP/1." +
                                   (client_version == 10 ? "0" : "1") + "\r\nHost: app\r\nCookie: SRV=app2\r\n\r\n";
  auto in = request_bytes.prepare(request_text.size());
  std::copy(request_text.begin(), request_text.end(), static_cast<char*>(in.data()));
  request_bytes.commit(request_text.size());
  check(!lb::parse_buffered(request_bytes, request));
  auto& req = request.get();
  const auto client_intent = lbh::strip_hop_by_hop(req);

  lb::BufferParser<false> response(arena);
  lb::limit_response_parser(response, head);
  boost::beast::flat_buffer buffer;
  if (parse_some(server, buffer, response)) return 0;  // 502 to the client
  check(response.is_header_done());

  auto& res = response.get();
  const unsigned status = res.result_int();
  const auto server_intent = lbh::strip_hop_by_hop(res);
  const auto framing = lbh::response_framing(req, res);
  bool keep_client = lbh::keep_client_alive(client_intent, client_version, status, framing);
  (void)lbh::keep_server_alive(server_intent, status, framing);
  if (auto v = lbh::find_set_cookie(res, "SRV")) (void)std::string(*v);  // LEARN_COOKIE's key
  res.insert(boost::beast::http::field::set_cookie, lbh::make_sticky_cookie("SRV", "app1"));
  res.set("X-Tandem-Node", "edge1");
  if (client_version == 10 && res.chunked()) {
    res.chunked(false);
    keep_client = false;
  }
  lbh::set_connection(res, keep_client);

  // The relay (relay_message): the header, then the body as it comes.
  std::string out;
  lbh::serialize_header(res.base(), out);
  std::string body;  // as the server meant it
  bool complete = false;
  const bool chunked = res.chunked() && !response.is_done();
  if (!response.is_done() && !chunked && !response.chunked() && response.content_length_remaining()) {
    // relay_fixed_body: the bytes themselves, without the parser.
    auto remaining = *response.content_length_remaining();
    for (;;) {
      const auto take = static_cast<std::size_t>(std::min<std::uint64_t>(remaining, buffer.size()));
      const std::string_view bytes(static_cast<const char*>(buffer.data().data()), take);
      out.append(bytes);
      body.append(bytes);
      buffer.consume(take);
      remaining -= take;
      if (remaining == 0 || !server.read(buffer)) break;
    }
    complete = remaining == 0;
  } else {
    std::vector<char> chunk(chunk_room);
    response.eager(true);
    for (;;) {
      std::size_t got = 0;
      if (!response.is_done()) {
        auto& b = response.get().body();
        b.data = chunk.data();
        b.size = chunk.size();
        auto ec = parse_some(server, buffer, response);
        if (ec == error::need_buffer) ec = {};
        if (ec) break;  // the client sees the response cut short
        got = chunk.size() - b.size;
        check(got <= chunk.size());
      }
      body.append(chunk.data(), got);
      if (chunked && got > 0) {
        char size_line[lbh::kMaxChunkSizeLine];
        out.append(size_line, lbh::chunk_size_line(got, size_line));
      }
      out.append(chunk.data(), got);
      if (chunked && got > 0) out.append("\r\n");
      if (chunked && response.is_done()) out.append("0\r\n\r\n");
      if (response.is_done()) {
        complete = true;
        break;
      }
    }
  }
  if (!complete) return 0;

  // What the client gets must parse as one response with the same body.
  boost::beast::http::response_parser<boost::beast::http::string_body> client;
  client.header_limit(1u << 20);
  client.body_limit(boost::none);
  client.skip(head);
  boost::system::error_code ec;
  std::string_view rest(out);
  while (!rest.empty() && !client.is_done()) {
    const auto used = client.put(boost::asio::buffer(rest.data(), rest.size()), ec);
    rest.remove_prefix(used);
    if (ec || used == 0) break;
  }
  if (!client.is_done() && (!ec || ec == error::need_more)) {
    ec = {};
    client.put_eof(ec);  // a body delimited by our close
  }
  check(!ec);
  check(client.is_done());
  check(client.get().result_int() == status);
  if (!head) check(client.get().body() == body);
  return 0;
}
