// Boost.Test entry point for the ctl/ unit tests.
#define BOOST_TEST_MODULE tandem_ctl
#include <boost/test/unit_test.hpp>
