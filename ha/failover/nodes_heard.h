// Which nodes the agent heard recently, by any authenticated advert of any
// instance: the shell's half of quorum counting (InstanceMachine::
// quorum_update). A machine counts only the peers of its own instance; a
// node that runs other instances only (the cluster size counts every node)
// is heard here. Pure: every call carries `now`.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "ha/failover/instance_machine.h"

namespace tandem::ha {

class NodesHeard {
 public:
  // An authenticated advert from NODE arrived at NOW.
  void heard(const std::string& node, TimePoint now);

  // The nodes heard within WINDOW before NOW, sorted by name.
  std::vector<std::string> within(Duration window, TimePoint now) const;

 private:
  std::map<std::string, TimePoint> last_;
};

}  // namespace tandem::ha
