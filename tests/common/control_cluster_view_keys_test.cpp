// Tests for the key-rotation report of common/control/cluster_view.h: the
// status view names the key each node signs with and warns, without
// failing the exit code, about nodes still on the other key.
#include <boost/test/unit_test.hpp>

#include "common/control/cluster_view.h"

namespace tandem::control {
namespace {

CallResult answered(const std::string& node, int key_index) {
  CallResult r;
  r.node = node;
  wire::ControlResponse resp;
  resp.mutable_status()->set_node(node);
  resp.mutable_status()->mutable_proxy()->set_alive(true);
  r.response = resp;
  r.key_index = key_index;
  return r;
}

BOOST_AUTO_TEST_SUITE(cluster_view_keys)

BOOST_AUTO_TEST_CASE(nodes_on_the_old_key_are_named) {
  const KeyRing keys{"the-new-cluster-key-0123456789abcdef", "the-old-cluster-key-0123456789abcdef"};
  const std::vector<Target> targets{{"edge1", "198.18.0.11", 5799}, {"edge2", "198.18.0.12", 5799}};
  const auto samples = samples_from(targets, {answered("edge1", 0), answered("edge2", 1)}, &keys);
  BOOST_TEST(samples[0].key == key_fingerprint(keys.signing));
  BOOST_TEST(!samples[0].old_key);
  BOOST_TEST(samples[1].key == key_fingerprint(keys.other));
  BOOST_TEST(samples[1].old_key);
  RateMemory rates;
  const auto view = build_cluster_view("c", samples, rates, 1'700'000'000'000);
  bool named = false;
  for (const auto& w : view.at("warnings").as_array())
    named = named || std::string(w.as_string()).find("edge2 still signs with key " + key_fingerprint(keys.other)) == 0;
  BOOST_TEST(named);
  for (const auto& w : view.at("warnings").as_array())
    BOOST_TEST(std::string(w.as_string()).find("edge1 still signs") == std::string::npos);
  BOOST_TEST(view.at("nodes").as_array()[1].as_object().at("key").as_string() == key_fingerprint(keys.other));
}

BOOST_AUTO_TEST_CASE(without_keys_nothing_is_claimed) {
  const std::vector<Target> targets{{"edge1", "198.18.0.11", 5799}};
  const auto samples = samples_from(targets, {answered("edge1", 1)});
  BOOST_TEST(samples[0].key.empty());
  BOOST_TEST(!samples[0].old_key);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace tandem::control
