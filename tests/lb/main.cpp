// Boost.Test entry point for the lb/ unit tests.
#define BOOST_TEST_MODULE tandem_lb
#include <boost/test/unit_test.hpp>
