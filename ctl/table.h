// Plain-text tables with optional ANSI colour (only on a terminal).
#pragma once

#include <string>
#include <vector>

namespace tandem::ctl {

// SGR codes used by lbctl.
namespace sgr {
inline constexpr const char* bold = "1";
inline constexpr const char* red = "31";
inline constexpr const char* loud = "1;97;41";  // bold white on red
inline constexpr const char* green = "32";
inline constexpr const char* yellow = "33";
inline constexpr const char* blue = "1;34";
inline constexpr const char* dim = "2";
inline constexpr const char* changed = "7";     // reverse video
}  // namespace sgr

// TEXT wrapped in the SGR STYLE when COLOR (and STYLE is not empty).
std::string paint(const std::string& text, const std::string& style, bool color);

struct Cell {
  std::string text;
  std::string style;  // SGR codes, "" = plain
};

// Left-aligned columns separated by two spaces; widths from the plain text.
class Table {
 public:
  explicit Table(std::vector<std::string> header) : header_(std::move(header)) {}
  void add(std::vector<Cell> row) { rows_.push_back(std::move(row)); }
  std::string render(bool color) const;
  bool empty() const { return rows_.empty(); }

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<Cell>> rows_;
};

}  // namespace tandem::ctl
