// What the three binaries' command lines share: Boost.Program_options with
// one style (no abbreviations), strict numbers, and usage errors as a value.
//
// Each binary describes its options in a pure parse function (lb/runtime,
// ha/agent, ctl/options) that returns its options or a message; main() prints
// the message and the usage and exits 2, so a bad value never aborts.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <boost/program_options.hpp>

namespace tandem::command_line {

namespace po = boost::program_options;

// Long options with a separate or '=' value, "-h"; no guessing of abbreviated
// names ("--inst" is not "--instance": a script must say what it means), no
// "/opt" or sticky short options.
inline constexpr int kStyle = po::command_line_style::allow_long | po::command_line_style::long_allow_adjacent |
                              po::command_line_style::long_allow_next | po::command_line_style::allow_short |
                              po::command_line_style::short_allow_next |
                              po::command_line_style::allow_dash_for_short;

// Parses ARGS (without the program name) against OPTIONS and POSITIONAL into
// VALUES. On a usage error (unknown option, missing value, an option given
// twice, a value of the wrong type) returns false with ERROR set to
// Program_options' message, which names the option.
bool parse(const std::vector<std::string>& args, const po::options_description& options,
           const po::positional_options_description& positional, po::variables_map& values,
           std::string& error);

// TEXT as a whole decimal number in [MIN, MAX]; nullopt for anything else
// ("abc", "", "3x", "-1", out of range).
std::optional<long long> parse_integer(const std::string& text, long long min, long long max);

// The usage text: SYNOPSIS, the described options, then EPILOGUE.
std::string usage(const std::string& synopsis, const po::options_description& options, const std::string& epilogue);

}  // namespace tandem::command_line
