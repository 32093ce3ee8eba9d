// A small writer of the Prometheus text exposition format (version 0.0.4).
// prometheus-cpp is not packaged in Debian 12, and both processes keep
// their own counters; rendering them is all that is needed (lb and ha).
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace tandem {

class PrometheusText {
 public:
  using Labels = std::initializer_list<std::pair<std::string_view, std::string_view>>;

  // Starts metric family NAME of TYPE ("counter", "gauge", "histogram").
  void family(std::string_view name, std::string_view type, std::string_view help);
  // One sample of the current family (NAME may carry a suffix like _bucket).
  void sample(std::string_view name, Labels labels, double value);

  const std::string& text() const { return out_; }

 private:
  std::string out_;
};

}  // namespace tandem
