// Tests for ha/vip/capabilities.h.
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include "ha/vip/capabilities.h"

namespace tandem::ha {

BOOST_AUTO_TEST_SUITE(vip_capabilities)

BOOST_AUTO_TEST_CASE(full_set_is_enough) {
  BOOST_TEST(missing_capabilities_in("Name:\tha-agent\nCapInh:\t0\nCapEff:\t000001ffffffffff\n").empty());
  // Exactly bits 12 (NET_ADMIN) and 13 (NET_RAW).
  BOOST_TEST(missing_capabilities_in("CapEff:\t0000000000003000\n").empty());
}

BOOST_AUTO_TEST_CASE(names_what_is_missing_and_how_to_fix) {
  const std::string none = missing_capabilities_in("CapPrm:\t000001ffffffffff\nCapEff:\t0000000000000000\n");
  BOOST_TEST(none.find("CAP_NET_ADMIN and CAP_NET_RAW") != std::string::npos);
  BOOST_TEST(none.find("run as root") != std::string::npos);
  const std::string raw_only = missing_capabilities_in("CapEff:\t0000000000002000\n");
  BOOST_TEST(raw_only.find("missing CAP_NET_ADMIN:") != std::string::npos);
  const std::string admin_only = missing_capabilities_in("CapEff:\t0000000000001000\n");
  BOOST_TEST(admin_only.find("missing CAP_NET_RAW:") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(unreadable_status_is_an_error) {
  BOOST_TEST(!missing_capabilities_in("").empty());
  BOOST_TEST(!missing_capabilities_in("CapEff:\tzz\n").empty());
}

BOOST_AUTO_TEST_CASE(this_process) {
  if (geteuid() == 0) {
    // Root normally has everything (unless started with a reduced bounding set).
    BOOST_TEST_MESSAGE("missing_capabilities() as root: '" << missing_capabilities() << "'");
  } else {
    BOOST_TEST(!missing_capabilities().empty());
  }
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace tandem::ha
