// Unit tests for lb/tls/tls_policy: the defaults (Mozilla intermediate),
// the ALPN wire form and the server's ALPN choice.
#include "lb/tls/tls_policy.h"

#include <boost/test/unit_test.hpp>

using namespace tandem::lb::tls;
using namespace std::string_literals;

BOOST_AUTO_TEST_SUITE(tls_policy_suite)

BOOST_AUTO_TEST_CASE(defaults_are_mozilla_intermediate_and_http1) {
  const auto policy = tls_policy(tandem::config::ListenerTls(), false);
  BOOST_TEST(!policy.tls13_only);
  BOOST_TEST(policy.ciphers == std::string(kIntermediateCiphers));
  BOOST_TEST(policy.suites == std::string(kIntermediateSuites));
  BOOST_TEST(policy.alpn == std::vector<std::string>{"http/1.1"}, boost::test_tools::per_element());
  BOOST_TEST(policy.alpn_wire == "\x08http/1.1"s);
  BOOST_TEST(policy.resumption);
  // Intermediate: forward secrecy and AEAD only.
  BOOST_TEST(std::string(kIntermediateCiphers).find("CBC") == std::string::npos);
  // No static RSA key exchange: every cipher starts with an ephemeral one.
  std::string_view list = kIntermediateCiphers;
  while (!list.empty()) {
    const auto cipher = list.substr(0, list.find(':'));
    BOOST_TEST((cipher.starts_with("ECDHE-") || cipher.starts_with("DHE-")), cipher);
    list.remove_prefix(std::min(list.size(), cipher.size() + 1));
  }
}

BOOST_AUTO_TEST_CASE(configured_values_replace_the_defaults) {
  tandem::config::ListenerTls tls;
  tls.set_min_version(tandem::config::TLS_1_3);
  tls.set_ciphers("ECDHE-ECDSA-AES256-GCM-SHA384");
  tls.add_alpn("http/1.1");
  const auto policy = tls_policy(tls, true);
  BOOST_TEST(policy.tls13_only);
  BOOST_TEST(policy.alpn == std::vector<std::string>{"http/1.1"}, boost::test_tools::per_element());
  BOOST_TEST(policy.ciphers == "ECDHE-ECDSA-AES256-GCM-SHA384");
  BOOST_TEST(policy.suites == std::string(kIntermediateSuites));
  tls.set_session_resumption(false);
  BOOST_TEST(!tls_policy(tls, true).resumption);
}

BOOST_AUTO_TEST_CASE(alpn_follows_our_preference_among_what_the_client_offers) {
  const std::vector<std::string> ours{"h2", "http/1.1"};
  BOOST_TEST(select_alpn(ours, "\x08http/1.1\x02h2"s).value() == "h2");
  BOOST_TEST(select_alpn(ours, "\x08http/1.1"s).value() == "http/1.1");
  BOOST_TEST(!select_alpn(ours, "\x06spdy/3"s).has_value());
  BOOST_TEST(!select_alpn(ours, ""s).has_value());
}

BOOST_AUTO_TEST_CASE(a_malformed_alpn_offer_selects_nothing) {
  const std::vector<std::string> ours{"http/1.1"};
  BOOST_TEST(!select_alpn(ours, "\x09http/1.1"s).has_value());          // runs past the end
  BOOST_TEST(!select_alpn(ours, "\x08http/1.1\x00"s).has_value());      // an empty name
}

BOOST_AUTO_TEST_CASE(only_protocols_we_speak_are_known) {
  BOOST_TEST((app_protocol("http/1.1") == AppProtocol::http1));
  BOOST_TEST((app_protocol("h2") == AppProtocol::h2));
  BOOST_TEST(!app_protocol("HTTP/1.1").has_value());
  BOOST_TEST(!app_protocol("h2c").has_value());  // cleartext upgrade: never negotiated by ALPN (RFC 9113 §3.1)
  BOOST_TEST(!app_protocol("h3").has_value());
}

BOOST_AUTO_TEST_CASE(http2_listeners_offer_h2_first_then_http1) {
  const auto policy = tls_policy(tandem::config::ListenerTls(), true);
  BOOST_TEST(policy.alpn == (std::vector<std::string>{"h2", "http/1.1"}), boost::test_tools::per_element());
  BOOST_TEST(policy.alpn_wire == "\x02h2\x08http/1.1"s);
  // A browser offering both gets h2; curl --http1.1 (http/1.1 only) gets 1.1.
  BOOST_TEST(select_alpn(policy.alpn, "\x08http/1.1\x02h2"s).value() == "h2");
  BOOST_TEST(select_alpn(policy.alpn, "\x08http/1.1"s).value() == "http/1.1");
}

BOOST_AUTO_TEST_CASE(h2_is_never_offered_with_http2_off) {
  // Default list: HTTP/1.1 only, so an offer of only h2 selects nothing
  // (the handshake goes on without ALPN and HTTP/1.1 is served).
  const auto off = tls_policy(tandem::config::ListenerTls(), false);
  BOOST_TEST(!select_alpn(off.alpn, "\x02h2"s).has_value());
  BOOST_TEST(select_alpn(off.alpn, "\x02h2\x08http/1.1"s).value() == "http/1.1");
  // Listed explicitly (check-config refuses that; the policy holds anyway).
  tandem::config::ListenerTls tls;
  tls.add_alpn("h2");
  tls.add_alpn("http/1.1");
  const auto listed = tls_policy(tls, false);
  BOOST_TEST(listed.alpn == std::vector<std::string>{"http/1.1"}, boost::test_tools::per_element());
  BOOST_TEST(listed.alpn_wire == "\x08http/1.1"s);
  // An explicit order is kept when http2 is on: http/1.1 preferred.
  tandem::config::ListenerTls reversed;
  reversed.add_alpn("http/1.1");
  reversed.add_alpn("h2");
  const auto r = tls_policy(reversed, true);
  BOOST_TEST(select_alpn(r.alpn, "\x02h2\x08http/1.1"s).value() == "http/1.1");
  BOOST_TEST(select_alpn(r.alpn, "\x02h2"s).value() == "h2");
}

BOOST_AUTO_TEST_SUITE_END()
