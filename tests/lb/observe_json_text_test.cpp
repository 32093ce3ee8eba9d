// Unit tests for lb/observe/json_text: escaping of untrusted bytes into a
// JSON string (quotes, control characters, invalid UTF-8) and the bound.
#include "lb/observe/json_text.h"

#include <boost/test/unit_test.hpp>

#include <string>

using namespace tandem::lb::observe;

namespace {

std::string json(std::string_view in, std::size_t max = std::string_view::npos, bool* cut = nullptr) {
  std::string out;
  const bool c = append_json_string(out, in, max);
  if (cut) *cut = c;
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(observe_json_text)

BOOST_AUTO_TEST_CASE(plain_ascii_is_quoted_as_is) { BOOST_TEST(json("/a/b?c=d&e") == R"("/a/b?c=d&e")"); }

BOOST_AUTO_TEST_CASE(quotes_and_backslashes_are_escaped) {
  BOOST_TEST(json(R"(/"x"\y)") == R"("/\"x\"\\y")");
}

BOOST_AUTO_TEST_CASE(control_characters_become_u00xx) {
  BOOST_TEST(json(std::string("a\nb\rc\td\0e\x1b\x7f", 11)) == R"("a\u000ab\u000dc\u0009d\u0000e\u001b\u007f")");
}

BOOST_AUTO_TEST_CASE(valid_utf8_passes_through) {
  BOOST_TEST(json("/caf\xC3\xA9/\xE2\x82\xAC/\xF0\x9F\x98\x80") == "\"/caf\xC3\xA9/\xE2\x82\xAC/\xF0\x9F\x98\x80\"");
}

BOOST_AUTO_TEST_CASE(each_invalid_byte_becomes_one_replacement_character) {
  const std::string fffd = "\xEF\xBF\xBD";
  BOOST_TEST(json("a\xFF" "b") == "\"a" + fffd + "b\"");                   // never valid
  BOOST_TEST(json("\xC0\xAF") == "\"" + fffd + fffd + "\"");               // overlong '/'
  BOOST_TEST(json("\xE0\x80\xAF") == "\"" + fffd + fffd + fffd + "\"");    // overlong, three bytes
  BOOST_TEST(json("\xED\xA0\x80") == "\"" + fffd + fffd + fffd + "\"");    // a UTF-16 surrogate
  BOOST_TEST(json("\xF4\x90\x80\x80") == "\"" + fffd + fffd + fffd + fffd + "\"");  // above U+10FFFF
  BOOST_TEST(json("\xC3") == "\"" + fffd + "\"");                          // cut short at the end
  BOOST_TEST(json("\xC3(") == "\"" + fffd + "(\"");                        // the next byte survives
  BOOST_TEST(json("\x80\"") == "\"" + fffd + "\\\"\"");                    // a stray continuation, then a quote
}

BOOST_AUTO_TEST_CASE(the_bound_cuts_at_a_character_boundary) {
  bool cut = false;
  BOOST_TEST(json("abcdef", 4, &cut) == R"("abcd")");
  BOOST_TEST(cut);
  BOOST_TEST(json("ab\xC3\xA9", 3, &cut) == R"("ab")");  // é does not fit whole
  BOOST_TEST(cut);
  BOOST_TEST(json("abc", 3, &cut) == R"("abc")");
  BOOST_TEST(!cut);
}

BOOST_AUTO_TEST_CASE(sequence_lengths) {
  BOOST_TEST(utf8_sequence_length("a") == 1u);
  BOOST_TEST(utf8_sequence_length("\xC3\xA9") == 2u);
  BOOST_TEST(utf8_sequence_length("\xEF\xBF\xBD") == 3u);
  BOOST_TEST(utf8_sequence_length("\xF4\x8F\xBF\xBF") == 4u);  // U+10FFFF
  BOOST_TEST(utf8_sequence_length("\xF5\x80\x80\x80") == 0u);
  BOOST_TEST(utf8_sequence_length("\xC1\xBF") == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
