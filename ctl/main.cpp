// lbctl: the operator's window on a Tandem cluster. See docs/lbctl.md and
// `lbctl --help`.
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "common/reactor.h"
#include "ctl/commands.h"
#include "ctl/options.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  std::string error;
  auto options = tandem::ctl::parse_options(args, std::getenv("TANDEM_CONFIG"), error);
  if (!options) {
    std::cerr << "lbctl: " << error << "\n\n" << tandem::ctl::usage();
    return 2;
  }
  if (options->help) {
    std::cout << tandem::ctl::usage(options->command);
    return 0;
  }
  // A build on io_uring stops here, saying what to change, where the kernel refuses io_uring.
  if (auto problem = tandem::reactor_problem("lbctl"); !problem.empty()) {
    std::cerr << problem << "\n";
    return 1;
  }
  try {
    return tandem::ctl::run(*options);
  } catch (const std::exception& e) {
    std::cerr << "lbctl: " << e.what() << "\n";
    return 2;
  }
}
