// Which nodes disagree about a pool's set (ctl/set_plan: disagreeing_nodes),
// as lbctl status flags them: runtime changes (versions ordered), and
// discovered sets (DNS: every version 0; etcd: revisions).
#include <boost/test/unit_test.hpp>

#include "ctl/set_plan.h"

namespace tandem::ctl {
namespace {

NodeSet node(const std::string& name, std::uint64_t version, const std::string& digest) {
  wire::ServerSetReport r;
  r.set_version(version);
  r.set_digest(digest);
  return NodeSet{name, r};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(set_plan_agreement)

BOOST_AUTO_TEST_CASE(the_highest_version_is_the_reference) {
  const std::vector<std::string> none;
  BOOST_TEST(disagreeing_nodes({node("a", 3, "x"), node("b", 3, "x"), node("c", 1, "x")}) == none);
  const std::vector<std::string> behind{"a", "b"};
  BOOST_TEST(disagreeing_nodes({node("a", 2, "y"), node("b", 2, "y"), node("c", 3, "x")}) == behind);
  // An unreachable node is not judged.
  BOOST_TEST(disagreeing_nodes({node("a", 3, "x"), NodeSet{"b", std::nullopt}}) == none);
  BOOST_TEST(disagreeing_nodes({}) == none);
}

BOOST_AUTO_TEST_CASE(among_equal_versions_the_odd_node_is_flagged_wherever_it_is_listed) {
  // DNS sets are all version 0: the first node listed is not the truth.
  const std::vector<std::string> first{"a"};
  BOOST_TEST(disagreeing_nodes({node("a", 0, "odd"), node("b", 0, "x"), node("c", 0, "x")}) == first);
  const std::vector<std::string> last{"c"};
  BOOST_TEST(disagreeing_nodes({node("a", 0, "x"), node("b", 0, "x"), node("c", 0, "odd")}) == last);
  // etcd: a node at an older revision with another set is behind.
  const std::vector<std::string> stale{"b"};
  BOOST_TEST(disagreeing_nodes({node("a", 40, "x"), node("b", 31, "y"), node("c", 38, "x")}) == stale);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace tandem::ctl
