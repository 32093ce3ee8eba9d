// Tests for ha/control/remote_control.h over real loopback sockets (port 0):
// authenticated requests are answered, unauthenticated ones refused and
// counted, and lb-proxy forwarding fails cleanly when the proxy is away.
#include <boost/test/unit_test.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "common/control/remote_client.h"
#include "common/framing.h"
#include "ha/control/remote_control.h"

namespace tandem::ha {
namespace {

const std::string kKey = "remote-control-test-key-0123456789";

struct Fixture {
  asio::io_context io;
  std::uint64_t skew_ms = 0;
  RemoteControl server{io,
                       boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0),
                       KeyRing{kKey, {}},
                       "edge1",
                       "127.0.0.1:1",  // nothing listens on port 1
                       [](const wire::ControlRequest& r) {
                         wire::ControlResponse out;
                         if (r.has_status()) out.mutable_status()->set_node("edge1");
                         else out.mutable_switchover()->add_messages("switched");
                         return out;
                       },
                       [this]() {
                         return static_cast<std::uint64_t>(
                                    std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count()) +
                                skew_ms;
                       }};

  Fixture() { server.start(); }

  std::vector<control::CallResult> call(const wire::ControlRequest& request, const std::string& key = kKey,
                                        const std::string& node = "edge1") {
    control::CallOptions options;
    options.keys.signing = key;
    options.timeout = std::chrono::milliseconds(2000);
    std::vector<control::CallResult> out;
    control::Target t{node, "127.0.0.1", server.port()};
    asio::co_spawn(io, control::call_each({control::Call{t, request}}, options),
                   [&](std::exception_ptr, std::vector<control::CallResult> r) {
                     out = std::move(r);
                     server.stop();
                   });
    io.restart();
    io.run();
    return out;
  }
};

wire::ControlRequest status(bool with_proxy = false) {
  wire::ControlRequest r;
  r.mutable_status()->set_with_proxy(with_proxy);
  return r;
}

BOOST_AUTO_TEST_SUITE(remote_control)

BOOST_FIXTURE_TEST_CASE(signed_status_is_answered, Fixture) {
  auto out = call(status());
  BOOST_REQUIRE_EQUAL(out.size(), 1u);
  BOOST_REQUIRE_MESSAGE(out[0].response, out[0].error);
  BOOST_TEST(out[0].response->status().node() == "edge1");
  BOOST_TEST(server.accepted() == 1u);
}

BOOST_FIXTURE_TEST_CASE(request_for_another_node_is_refused_and_counted, Fixture) {
  // The server is edge1; a request signed for edge2 (a capture replayed
  // here) is refused.
  auto out = call(status(), kKey, "edge2");
  BOOST_REQUIRE_EQUAL(out.size(), 1u);
  BOOST_TEST(!out[0].response);
  BOOST_TEST(out[0].error == "refused: wrong_node");
  BOOST_TEST(server.refused(control::Refusal::wrong_node) == 1u);
  BOOST_TEST(server.accepted() == 0u);
}

BOOST_FIXTURE_TEST_CASE(wrong_key_is_refused_and_counted, Fixture) {
  auto out = call(status(), "not the cluster key at all, no");
  BOOST_REQUIRE_EQUAL(out.size(), 1u);
  BOOST_TEST(!out[0].response);
  BOOST_TEST(out[0].error == "refused: bad_signature");
  BOOST_TEST(server.refused(control::Refusal::bad_signature) == 1u);
  BOOST_TEST(server.accepted() == 0u);
  BOOST_TEST(server.metrics_text().find("tandem_remote_control_refused_total{reason=\"bad_signature\"} 1") !=
             std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(skewed_clock_is_refused, Fixture) {
  skew_ms = 31'000;
  auto out = call(status());
  BOOST_TEST(out[0].error == "refused: stale");
  BOOST_TEST(server.refused(control::Refusal::stale) == 1u);
}

BOOST_FIXTURE_TEST_CASE(unreachable_proxy_is_reported_not_fatal, Fixture) {
  auto out = call(status(true));
  BOOST_REQUIRE(out[0].response);
  BOOST_TEST(out[0].response->status().node() == "edge1");
  BOOST_TEST(!out[0].response->status().has_proxy_report());
  BOOST_TEST(!out[0].response->status().proxy_error().empty());
}

BOOST_FIXTURE_TEST_CASE(forwarding_to_an_absent_proxy_fails_cleanly, Fixture) {
  wire::ControlRequest drain;
  drain.mutable_server_state()->set_pool("web");
  drain.mutable_server_state()->set_server("web1");
  drain.mutable_server_state()->set_state(wire::SERVER_ADMIN_DRAIN);
  auto forwarded = call(drain);
  BOOST_REQUIRE_MESSAGE(forwarded[0].response, forwarded[0].error);
  BOOST_TEST(forwarded[0].response->proxy().http_status() == 0u);
  BOOST_TEST(!forwarded[0].response->proxy().error().empty());
}

BOOST_FIXTURE_TEST_CASE(unsafe_names_are_not_forwarded, Fixture) {
  wire::ControlRequest r;
  r.mutable_server_state()->set_pool("web/../x");
  r.mutable_server_state()->set_server("web1");
  r.mutable_server_state()->set_state(wire::SERVER_ADMIN_DRAIN);
  auto out = call(r);
  BOOST_REQUIRE(out[0].response);
  BOOST_TEST(out[0].response->has_error());
}

BOOST_FIXTURE_TEST_CASE(garbage_is_refused, Fixture) {
  // An unsigned frame that is not a SignedRequest at all.
  boost::asio::ip::tcp::socket s(io);
  s.connect(boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), server.port()));
  wire::ControlRequest plain = status();  // a bare ControlRequest: no signature
  const std::string frame = encode_frame(plain);
  boost::asio::write(s, boost::asio::buffer(frame));
  std::string payload;
  bool done = false;
  asio::co_spawn(io, [&]() -> awaitable<void> {
    co_await read_frame(s, payload);
    done = true;
    server.stop();
  }, asio::detached);
  io.run();
  BOOST_REQUIRE(done);
  wire::SignedResponse r;
  BOOST_REQUIRE(r.ParseFromString(payload));
  BOOST_TEST(!r.refused().empty());
  BOOST_TEST(r.hmac().empty());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace tandem::ha
