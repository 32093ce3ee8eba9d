// Boost.Test entry point for the common/ unit tests.
#define BOOST_TEST_MODULE tandem_common
#include <boost/test/unit_test.hpp>
