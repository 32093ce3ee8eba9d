// Tests for common/control/admin_auth.h: the Tandem-HMAC header the agent
// signs proxy admin state changes with.
#include <boost/test/unit_test.hpp>

#include "common/control/admin_auth.h"
#include "common/hmac.h"

namespace tandem::control {
namespace {

const std::string kKey = "admin-auth-test-key-0123456789abcdef";

BOOST_AUTO_TEST_SUITE(control_admin_auth)

BOOST_AUTO_TEST_CASE(header_round_trips_and_verifies) {
  const auto header = admin_authorization(kKey, "POST", "/servers/web/b1/state?value=drain", "127.0.0.1:9100",
                                          1'700'000'000'123, std::string(16, 'x'));
  BOOST_TEST(header.rfind("Tandem-HMAC t=1700000000123,n=", 0) == 0u);
  const auto creds = parse_admin_authorization(header);
  BOOST_REQUIRE(creds);
  BOOST_TEST(creds->unix_ms == 1'700'000'000'123u);
  BOOST_TEST(creds->nonce_hex == to_hex(std::string(16, 'x')));
  BOOST_TEST(hmac_verify(kKey,
                         admin_signing_bytes("POST", "/servers/web/b1/state?value=drain", "127.0.0.1:9100",
                                             creds->unix_ms, creds->nonce_hex),
                         creds->mac));
  // Another target, host or method does not verify.
  BOOST_TEST(!hmac_verify(kKey,
                          admin_signing_bytes("POST", "/servers/web/b1/state?value=ready", "127.0.0.1:9100",
                                              creds->unix_ms, creds->nonce_hex),
                          creds->mac));
  BOOST_TEST(!hmac_verify(kKey,
                          admin_signing_bytes("POST", "/servers/web/b1/state?value=drain", "198.18.0.2:9100",
                                              creds->unix_ms, creds->nonce_hex),
                          creds->mac));
}

BOOST_AUTO_TEST_CASE(malformed_headers_are_rejected) {
  for (const char* bad : {"", "Bearer abc", "Tandem-HMAC", "Tandem-HMAC t=1", "Tandem-HMAC t=x,n=00,s=00",
                          "Tandem-HMAC t=1,n=0123456789abcdef,s=zz",
                          "Tandem-HMAC t=1,n=0123456789abcdef0123,s=0123,q=1"})
    BOOST_TEST(!parse_admin_authorization(bad).has_value(), bad);
  BOOST_TEST(!parse_admin_authorization(std::string(600, 'T')).has_value());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace tandem::control
