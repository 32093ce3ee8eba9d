// Unit tests for lb/tls/server_names: which certificate an SNI gets, and how
// certificates group by the names they serve.
#include "lb/tls/server_names.h"

#include <boost/test/unit_test.hpp>

using tandem::lb::tls::group_by_names;
using tandem::lb::tls::ServerNames;

BOOST_AUTO_TEST_SUITE(tls_server_names)

BOOST_AUTO_TEST_CASE(no_sni_or_an_unknown_name_gets_the_default) {
  ServerNames names;
  names.add(0, {"a.test"});
  names.add(1, {"b.test"});
  BOOST_TEST(names.choose("") == 0u);
  BOOST_TEST(names.choose("c.test") == 0u);
  BOOST_TEST(!names.covers("c.test"));
  BOOST_TEST(names.choose("b.test") == 1u);
}

BOOST_AUTO_TEST_CASE(names_compare_without_case_or_trailing_dot) {
  ServerNames names;
  names.add(0, {"a.test"});
  names.add(1, {"WWW.B.Test"});
  BOOST_TEST(names.choose("www.b.test") == 1u);
  BOOST_TEST(names.choose("www.B.TEST.") == 1u);
}

BOOST_AUTO_TEST_CASE(a_wildcard_covers_exactly_one_label) {
  ServerNames names;
  names.add(0, {"default.test"});
  names.add(1, {"*.b.test"});
  BOOST_TEST(names.choose("x.b.test") == 1u);
  BOOST_TEST(names.choose("b.test") == 0u);
  BOOST_TEST(names.choose("x.y.b.test") == 0u);
  BOOST_TEST(names.choose(".b.test") == 0u);
}

BOOST_AUTO_TEST_CASE(an_exact_name_beats_a_wildcard_and_the_first_listed_wins) {
  ServerNames names;
  names.add(0, {"*.b.test"});
  names.add(1, {"www.b.test"});
  names.add(2, {"www.b.test", "*.b.test"});
  BOOST_TEST(names.choose("www.b.test") == 1u);
  BOOST_TEST(names.choose("api.b.test") == 0u);
}

BOOST_AUTO_TEST_CASE(malformed_names_are_not_taken) {
  ServerNames names;
  BOOST_TEST(names.add(1, {"", "*", "a*.b.test", "*.*.test", "x.*.test", "ok.test"}) == 1u);
  BOOST_TEST(names.choose("ok.test") == 1u);
  BOOST_TEST(names.choose("a1.b.test") == 0u);
}

BOOST_AUTO_TEST_CASE(certificates_with_the_same_names_share_a_group) {
  // ECDSA and RSA for a.test (either order of names), then b.test, then a.test again.
  const auto groups = group_by_names({{"a.test", "*.a.test"}, {"*.A.test", "a.test"}, {"b.test"}, {"a.test"}});
  BOOST_TEST(groups == (std::vector<std::size_t>{0, 0, 1, 2}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()
