#include "ctl/table.h"

#include <algorithm>

namespace tandem::ctl {

std::string paint(const std::string& text, const std::string& style, bool color) {
  if (!color || style.empty()) return text;
  return "\033[" + style + "m" + text + "\033[0m";
}

std::string Table::render(bool color) const {
  std::vector<std::size_t> width(header_.size(), 0);
  for (std::size_t i = 0; i < header_.size(); ++i) width[i] = header_[i].size();
  for (const auto& row : rows_)
    for (std::size_t i = 0; i < row.size() && i < width.size(); ++i) width[i] = std::max(width[i], row[i].text.size());
  std::string out;
  auto line = [&](const std::vector<Cell>& cells) {
    std::string l;
    for (std::size_t i = 0; i < cells.size() && i < width.size(); ++i) {
      const bool last = i + 1 == cells.size() || i + 1 == width.size();
      std::string text = cells[i].text;
      if (!last) text.append(width[i] - std::min(width[i], text.size()), ' ');
      // Colour the text only, not the padding (reverse video would show it).
      std::string painted = paint(cells[i].text, cells[i].style, color) + text.substr(cells[i].text.size());
      l += painted + (last ? "" : "  ");
    }
    while (!l.empty() && l.back() == ' ') l.pop_back();
    out += l + "\n";
  };
  std::vector<Cell> head;
  for (const auto& h : header_) head.push_back(Cell{h, sgr::bold});
  line(head);
  for (const auto& row : rows_) line(row);
  return out;
}

}  // namespace tandem::ctl
