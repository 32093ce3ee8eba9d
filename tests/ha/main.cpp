// Boost.Test entry point for the ha/ unit tests.
#define BOOST_TEST_MODULE tandem_ha
#include <boost/test/unit_test.hpp>
