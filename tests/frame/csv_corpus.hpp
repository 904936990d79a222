#pragma once
// The CSV corpus of tests/data/csv: every NAME.csv with its NAME.expected (see
// csv_corpus_test.cpp for the format), shared by the local and the distributed reader tests.

#include <pando/frame/csv.hpp>

#include <gtest/gtest.h>

#include "frame_test_util.hpp"

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

namespace pando::test {

inline std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    std::size_t k = s.find(sep, start);
    out.emplace_back(s.substr(start, k == std::string_view::npos ? s.npos : k - start));
    if (k == std::string_view::npos) return out;
    start = k + 1;
  }
}

inline CsvOptions parse_options(std::string_view line) {
  CsvOptions o;
  for (const auto& kv : split(line, ' ')) {
    if (kv.empty()) continue;
    auto eq = kv.find('=');
    std::string key = kv.substr(0, eq), value = kv.substr(eq + 1);
    if (key == "delimiter")
      o.delimiter = value == "tab" ? '\t' : value[0];
    else if (key == "quote")
      o.quote = value == "none" ? '\0' : value[0];
    else if (key == "escape")
      o.escape = value[0];
    else if (key == "header")
      o.header = value != "no";
    else if (key == "na_values")
      o.na_values = value.empty() ? std::vector<std::string>{} : split(value, '|');
    else if (key == "na_values+")
      for (auto& v : split(value, '|')) o.na_values.push_back(v);
    else if (key == "usecols")
      o.usecols = split(value, '|');
    else if (key == "dtype")
      for (const auto& d : split(value, '|')) {
        auto parts = split(d, ':');
        o.dtypes[parts[0]] = *parse_dtype(parts[1]);
      }
    else if (key == "on_bad_lines")
      o.on_bad_lines = value == "skip"   ? BadLines::skip
                       : value == "warn" ? BadLines::warn
                                         : BadLines::error;
    else if (key == "sample_bytes")
      o.sample_bytes = std::stoul(value);
    else if (key == "widening")
      o.allow_widening = value != "no";
    else
      ADD_FAILURE() << "unknown corpus option " << key;
  }
  return o;
}

inline std::string render_bad(const csv::BadLineReport& bad) {
  if (bad.count == 0) return "";
  std::string out = fmt::format("bad lines: {} at", bad.count);
  for (std::size_t i = 0; i < bad.lines.size(); ++i)
    out += fmt::format("{} {}", i ? "," : "", bad.lines[i]);
  return out + "\n";
}

struct Case {
  std::string name;
  std::string text;
  std::string options_line;  // "" or "options: ..."
  CsvOptions options;
  std::string expected_path;
};

inline std::vector<Case> corpus() {
  std::vector<Case> out;
  for (const auto& e : std::filesystem::directory_iterator(csv_data_dir())) {
    if (e.path().extension() != ".csv") continue;
    Case c;
    c.name = e.path().filename().string();
    c.text = read_file(e.path().string());
    c.expected_path = (e.path().parent_path() / e.path().stem()).string() + ".expected";
    std::string expected = read_file(c.expected_path);
    if (expected.rfind("options:", 0) == 0) {
      c.options_line = expected.substr(0, expected.find('\n'));
      c.options = parse_options(std::string_view(c.options_line).substr(8));
    }
    out.push_back(std::move(c));
  }
  std::sort(out.begin(), out.end(), [](const Case& a, const Case& b) { return a.name < b.name; });
  return out;
}

}  // namespace pando::test
