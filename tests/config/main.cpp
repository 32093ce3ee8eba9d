// Boost.Test entry point for the config/ unit tests.
#define BOOST_TEST_MODULE tandem_config
#include <boost/test/unit_test.hpp>
