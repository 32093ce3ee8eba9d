#include "common/command_line.h"

#include <charconv>
#include <sstream>

namespace tandem::command_line {

bool parse(const std::vector<std::string>& args, const po::options_description& options,
           const po::positional_options_description& positional, po::variables_map& values,
           std::string& error) {
  try {
    po::store(po::command_line_parser(args).options(options).positional(positional).style(kStyle).run(), values);
    po::notify(values);
    return true;
  } catch (const po::too_many_positional_options_error&) {
    error = "unexpected argument (this command takes options only; see --help)";
  } catch (const po::error& e) {
    error = e.what();
  }
  return false;
}

std::optional<long long> parse_integer(const std::string& text, long long min, long long max) {
  long long value = 0;
  const char* end = text.data() + text.size();
  // from_chars takes no sign but '-', no spaces and no base prefix: "+3" and " 3" are refused too.
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end || value < min || value > max) return std::nullopt;
  return value;
}

std::string usage(const std::string& synopsis, const po::options_description& options, const std::string& epilogue) {
  std::ostringstream out;
  out << synopsis << "\n" << options << "\n" << epilogue;
  return out.str();
}

}  // namespace tandem::command_line
