// Tests for lb/admin/admin_policy.h: the proxy admin listener refuses
// unauthenticated state changes, cross-site requests and DNS rebinding
// (issue 10 item 4).
#include <boost/test/unit_test.hpp>

#include "common/control/admin_auth.h"
#include "common/control/auth.h"
#include "lb/admin/admin_policy.h"

namespace tandem::lb {
namespace {

const std::string kKey = "admin-policy-test-key-0123456789abcdef";
const std::string kNext = "admin-policy-next-key-0123456789abcdef";
constexpr std::uint64_t kNow = 1'700'000'000'000;
const std::string kHost = "127.0.0.1:9100";
const std::string kTarget = "/servers/web/b1/state?value=maintenance";

AdminRequestFacts post(const std::string& authorization, const std::string& host = kHost) {
  AdminRequestFacts r;
  r.method = "POST";
  r.target = kTarget;
  r.host = host;
  r.authorization = authorization;
  return r;
}

std::string sign(const std::string& key, std::uint64_t at = kNow, char nonce = 'a', const std::string& host = kHost) {
  return control::admin_authorization(key, "POST", kTarget, host, at, std::string(16, nonce));
}

AdminRequestFacts get(const std::string& path, const std::string& host = kHost) {
  AdminRequestFacts r;
  r.method = "GET";
  r.target = path;
  r.host = host;
  return r;
}

BOOST_AUTO_TEST_SUITE(admin_policy)

BOOST_AUTO_TEST_CASE(unauthenticated_state_change_is_refused) {
  AdminPolicy p(KeyRing{kKey, {}});
  const auto v = p.check(post(""), kNow);
  BOOST_TEST(v.status == 401u);
  BOOST_TEST(v.reason.find("lbctl") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(signed_state_change_is_allowed_once) {
  AdminPolicy p(KeyRing{kKey, {}});
  const auto auth = sign(kKey);
  BOOST_TEST(p.check(post(auth), kNow + 10).status == 0u);
  const auto again = p.check(post(auth), kNow + 20);
  BOOST_TEST(again.status == 401u);
  BOOST_TEST(std::string(again.counter) == "replayed");
}

BOOST_AUTO_TEST_CASE(wrong_key_stale_or_other_host_is_refused) {
  AdminPolicy p(KeyRing{kKey, {}});
  BOOST_TEST(std::string(p.check(post(sign("some other key of enough length!")), kNow).counter) == "bad_signature");
  BOOST_TEST(std::string(p.check(post(sign(kKey, kNow - control::kFreshnessMs - 1, 'b')), kNow).counter) == "stale");
  // Signed for another proxy's address, replayed here.
  BOOST_TEST(std::string(p.check(post(sign(kKey, kNow, 'c', "198.18.0.2:9100")), kNow).counter) == "bad_signature");
  BOOST_TEST(std::string(p.check(post("Tandem-HMAC t=1"), kNow).counter) == "malformed");
}

BOOST_AUTO_TEST_CASE(no_key_configured_refuses_every_state_change) {
  AdminPolicy p;
  const auto v = p.check(post(sign(kKey)), kNow);
  BOOST_TEST(v.status == 403u);
  BOOST_TEST(std::string(v.counter) == "no_key");
  BOOST_TEST(p.check(get("/status"), kNow).status == 0u);  // reads still work
}

BOOST_AUTO_TEST_CASE(cross_site_form_is_refused_even_when_signed) {
  AdminPolicy p(KeyRing{kKey, {}});
  // AdminRequestFacts holds views: the signatures live here.
  const auto auth_a = sign(kKey), auth_d = sign(kKey, kNow, 'd'), auth_e = sign(kKey, kNow, 'e'),
             auth_f = sign(kKey, kNow, 'f');
  auto form = post(auth_a);
  form.origin = "http://evil.example";
  BOOST_TEST(std::string(p.check(form, kNow).counter) == "cross_origin");
  auto plain = post(auth_d);
  plain.content_type = "text/plain";
  plain.body_bytes = 5;
  BOOST_TEST(p.check(plain, kNow).status == 415u);
  auto fetch = post(auth_e);
  fetch.sec_fetch_site = "cross-site";
  BOOST_TEST(p.check(fetch, kNow).status == 403u);
  // The same origin is fine.
  auto same = post(auth_f);
  same.origin = "http://127.0.0.1:9100";
  BOOST_TEST(p.check(same, kNow).status == 0u);
}

BOOST_AUTO_TEST_CASE(reads_check_host_and_origin) {
  AdminPolicy p(KeyRing{kKey, {}}, {"edge1"});
  BOOST_TEST(p.check(get("/status"), kNow).status == 0u);
  BOOST_TEST(p.check(get("/metrics", "198.18.0.1:9100"), kNow).status == 0u);
  BOOST_TEST(p.check(get("/stick?pool=web", "localhost:9100"), kNow).status == 0u);
  BOOST_TEST(p.check(get("/status", "[::1]:9100"), kNow).status == 0u);
  BOOST_TEST(p.check(get("/status", "edge1:9100"), kNow).status == 0u);
  // DNS rebinding: the attacker's name, resolved to this address.
  const auto rebound = p.check(get("/stick?pool=web", "evil.example:9100"), kNow);
  BOOST_TEST(rebound.status == 403u);
  BOOST_TEST(std::string(rebound.counter) == "bad_host");
  BOOST_TEST(p.check(get("/status", ""), kNow).status == 400u);
  BOOST_TEST(p.check(get("/status", "127.0.0.1:90x"), kNow).status == 403u);
  auto cross = get("/status");
  cross.origin = "http://evil.example";
  BOOST_TEST(p.check(cross, kNow).status == 403u);
}

BOOST_AUTO_TEST_CASE(both_keys_are_accepted_during_a_rotation) {
  AdminPolicy p(KeyRing{kKey, kNext});
  BOOST_TEST(p.check(post(sign(kKey, kNow, 'g')), kNow).status == 0u);
  BOOST_TEST(p.check(post(sign(kNext, kNow, 'h')), kNow).status == 0u);
  p.set_keys(KeyRing{kNext, {}});
  BOOST_TEST(p.check(post(sign(kKey, kNow, 'i')), kNow).status == 401u);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace tandem::lb
