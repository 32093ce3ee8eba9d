#include "common/command_line.h"

#include <charconv>
#include <sstream>

namespace tandem::command_line {

bool parse(const std::vector<std::string>& args, const po::options_description& options,
           const po::positional_options_description& positional, po::variables_map& values,
           std::string& error) {
  try {
    const auto parsed = po::command_line_parser(args).options(options).positional(positional).style(kStyle).run();
    // The positional words are described as an option only because
    // Program_options needs a name for them; "--words x" is not a spelling.
    if (positional.max_total_count() > 0) {
      const std::string& words = positional.name_for_position(0);
      for (const auto& o : parsed.options) {
        if (o.position_key < 0 && o.string_key == words) {
          error = "unrecognised option '--" + words + "'";
          return false;
        }
      }
    }
    po::store(parsed, values);
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
