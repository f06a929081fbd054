// latency-tracking-info-percentiles: the percentiles INFO latencystats reports.
#include <fmt/format.h>

#include <cmath>
#include <string>
#include <string_view>
#include <vector>

#include "common/strings.h"
#include "config/config.h"

namespace tidekv::config {

std::string_view PercentilesError(std::string_view text) {
  if (text.empty()) return "";
  bool out_of_range = false;
  size_t pos = 0;
  while (true) {
    // Words are separated by one space each (as Redis splits them: "50  99" has an empty one).
    const size_t end = std::min(text.find(' ', pos), text.size());
    const std::optional<double> p = ParseDouble(text.substr(pos, end - pos));
    if (!p || std::isnan(*p)) return "Invalid latency-tracking-info-percentiles parameters";
    out_of_range = out_of_range || *p < 0.0 || *p > 100.0;
    if (end == text.size()) break;
    pos = end + 1;
  }
  return out_of_range
             ? "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"
             : "";
}

std::optional<std::vector<double>> ParsePercentiles(std::string_view text) {
  if (!PercentilesError(text).empty()) return std::nullopt;
  std::vector<double> out;
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t end = std::min(text.find(' ', pos), text.size());
    out.push_back(ParseDouble(text.substr(pos, end - pos)).value_or(0));
    pos = end + 1;
  }
  return out;
}

std::string PercentileText(double p) {
  std::string s = fmt::format("{:f}", p);
  if (s.find('.') != std::string::npos) {
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  return s;
}

}  // namespace tidekv::config
