// libFuzzer target for the proxy's admin listener (lb/admin/admin_server.h):
// requests parsed as AdminServer::serve parses them (Beast, 8 KiB header,
// 4 KiB body), several per connection, each routed by route_admin_request
// (with its Accept header, so the typed reports too) against a real
// generation (two pools, a stick table) and answered as serve answers.
// Byte 0 picks how many bytes each read delivers.
// Checked: every request gets one of the statuses the routes define, with
// a content type; a state change is reported only for a server that exists.
// run: ./admin_request_fuzz -max_len=16384 lb/fuzz/corpus/admin_request_fuzz
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http.hpp>

#include "config/loader.h"
#include "lb/admin/admin_server.h"
#include "lb/runtime/generation.h"

namespace {

namespace bhttp = boost::beast::http;

void check(bool invariant) {
  if (!invariant) std::abort();
}

constexpr std::string_view kCluster = R"(
name: "fuzz"
nodes { name: "edge1" address: "127.0.0.1" proxy_admin: "127.0.0.1:9100" }
listeners { name: "web" bind: "127.0.0.1:8080" mode: HTTP pool: "app" }
listeners { name: "api" bind: "127.0.0.1:8081" mode: HTTP pool: "api" }
pools {
  name: "app"
  servers { name: "app1" address: "127.0.0.1:9001" }
  servers { name: "app2" address: "127.0.0.1:9002" weight: 3 }
  stickiness { kind: LEARN_COOKIE cookie: "SRV" max_entries: 16 }
}
pools {
  name: "api"
  algorithm: LEAST_CONNECTIONS
  servers { name: "api1" address: "127.0.0.1:9101" }
  stickiness { kind: SOURCE_IP max_entries: 4 }
}
)";

const tandem::config::Cluster& cluster() {
  static const auto loaded = tandem::config::parse_cluster_text(kCluster, "fuzz.conf");
  if (!loaded.cluster) {
    std::fputs(tandem::config::format_problems(loaded.problems).c_str(), stderr);
    std::abort();
  }
  return *loaded.cluster;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t step = (data[0] & 0x3f) == 0 ? SIZE_MAX : (data[0] & 0x3f);
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  // One generation for the run, as one proxy process has (building one per
  // input would cost more than the requests); state changes accumulate.
  static const auto gen = [] {
    auto g = tandem::lb::build_generation(cluster(), "edge1", nullptr, 1);
    g->pool("api")->stick_table()->put("198.18.0.7", "api1", std::chrono::steady_clock::now());
    return g;
  }();
  tandem::lb::ProcessFacts facts{.node = "edge1", .workers = 2};

  std::string pending;
  for (int i = 0; i < 8; ++i) {  // requests on one connection
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(8192);
    parser.body_limit(4096);
    boost::system::error_code ec;
    while (!parser.is_done()) {
      if (!pending.empty()) {
        const auto used = parser.put(boost::asio::buffer(pending), ec);
        pending.erase(0, used);
        if (ec && ec != bhttp::error::need_more) return 0;  // serve closes the connection
        if (parser.is_done()) break;
      }
      if (in.empty()) {  // the client closed: end_of_stream before any byte, as async_read says
        if (!parser.got_some()) return 0;
        parser.put_eof(ec);
        if (ec || !parser.is_done()) return 0;
        break;
      }
      const auto take = std::min(step, in.size());
      pending.append(in.substr(0, take));
      in.remove_prefix(take);
    }
    const auto& req = parser.get();
    const auto reply = tandem::lb::route_admin_request(std::string_view(req.method_string()),
                                                       std::string_view(req.target()), *gen, facts,
                                                       std::string_view(req[bhttp::field::accept]));
    check(reply.status == 200 || reply.status == 400 || reply.status == 404 || reply.status == 405);
    check(!reply.content_type.empty());
    if (req.method() == bhttp::verb::post && reply.status == 200) {
      const std::string_view target = req.target();
      check(target.find("/app1/state") != std::string_view::npos || target.find("/app2/state") != std::string_view::npos ||
            target.find("/api1/state") != std::string_view::npos);
    }
    bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(reply.status), req.version()};
    res.set(bhttp::field::content_type, reply.content_type);
    res.set(bhttp::field::cache_control, "no-cache");
    res.keep_alive(req.keep_alive());
    res.body() = reply.body;
    res.prepare_payload();
    if (!req.keep_alive()) break;
  }
  return 0;
}
