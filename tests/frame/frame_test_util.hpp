#pragma once
// Helpers for the frame tests: a text form of tables (the .expected files of tests/data/csv),
// files, and running the pandas reference (/usr/bin/python3, Debian's, which has pandas).

#include <pando/core/json.hpp>
#include <pando/core/timestamp.hpp>
#include <pando/frame/text.hpp>
#include <pando/frame/table.hpp>

#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <unistd.h>

namespace pando::test {

#ifndef PANDO_TEST_PYTHON
#define PANDO_TEST_PYTHON "/usr/bin/python3"
#endif

inline std::string csv_data_dir() { return PANDO_CSV_DATA_DIR; }
inline std::string frame_test_dir() { return PANDO_FRAME_TEST_DIR; }

// One value as the .expected files show it: null, 12, 1.5 (repr), true, "text",
// t"2024-01-05 13:45:00".
inline std::string render_value(const Column& c, std::size_t i) {
  if (!c.is_valid(i)) return "null";
  switch (c.type()) {
    case DType::boolean:
      return c.values<std::uint8_t>()[i] ? "true" : "false";
    case DType::int32:
      return std::to_string(c.values<std::int32_t>()[i]);
    case DType::int64:
      return std::to_string(c.values<std::int64_t>()[i]);
    case DType::float32:
      return format_float(c.values<float>()[i]);
    case DType::float64:
      return format_double(c.values<double>()[i]);
    case DType::timestamp:
      return "t\"" + format_timestamp(c.values<std::int64_t>()[i]) + "\"";
    case DType::string:
      return json_quote(c.string_at(i));
    case DType::uint64:  // arrays only
      break;
  }
  return "?";
}

inline std::string render_schema(const Schema& s) {
  std::string out = "schema:";
  for (std::size_t i = 0; i < s.size(); ++i)
    out += fmt::format("{} {}:{}", i ? "," : "", json_quote(s[i].name), to_string(s[i].type));
  return out;
}

// The table as schema line + one line per row: "[1, "x", null]".
inline std::string render(const Table& t) {
  std::string out = render_schema(t.schema()) + "\n";
  for (std::size_t r = 0; r < t.rows(); ++r) {
    out += '[';
    for (std::size_t c = 0; c < t.num_columns(); ++c) {
      if (c) out += ", ";
      out += render_value(t.column(c), r);
    }
    out += "]\n";
  }
  return out;
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void write_file(const std::string& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
}

// A fresh folder for this process's temporary files, under the build tree; removed at exit
// unless PANDO_KEEP_TEST_FILES is set (then the failing files can be inspected).
inline std::string temp_dir() {
  struct Dir {
    std::string path;
    Dir() {
      auto d = std::filesystem::path(PANDO_FRAME_TEST_TMP) / std::to_string(::getpid());
      std::filesystem::remove_all(d);
      std::filesystem::create_directories(d);
      path = d.string();
    }
    ~Dir() {
      std::error_code ec;
      if (!std::getenv("PANDO_KEEP_TEST_FILES")) std::filesystem::remove_all(path, ec);
    }
  };
  static const Dir dir;
  return dir.path;
}

struct RunResult {
  int status = -1;
  std::string output;
};

// Runs a command (stdout and stderr captured).
inline RunResult run(const std::string& command) {
  RunResult r;
  std::FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (!p) return r;
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) r.output.append(buf, n);
  r.status = ::pclose(p);
  return r;
}

// Runs tests/frame/pandas_check.py with arguments.
inline RunResult pandas_check(const std::string& args) {
  return run(fmt::format("{} {}/pandas_check.py {}", PANDO_TEST_PYTHON, frame_test_dir(), args));
}

}  // namespace pando::test
