// The CSV corpus (tests/data/csv): every NAME.csv is read and compared with NAME.expected (its
// rows, or the exact error), then read again cut into 2 and 3 byte ranges at every possible
// offset (scan_range + resolve_ranges + parse_rows per range), which must give the same result,
// errors and line numbers included. PANDO_REGEN_EXPECTED=1 rewrites the .expected files (review
// the diff before committing).
//
// .expected format: an optional first line "options: key=value ..." (delimiter=; or tab,
// quote=none, escape=\, header=no, na_values=a|b (replaces the defaults), na_values+=a|b (adds),
// usecols=a|b, dtype=name:type|..., on_bad_lines=skip|warn, sample_bytes=N, widening=no); then
// either "error: <message>" or a schema line and one line per row (frame_test_util.hpp), and
// "bad lines: N at L1, L2" when rows were skipped.

#include <pando/core/log.hpp>
#include <pando/frame/csv.hpp>

#include <gtest/gtest.h>

#include "csv_corpus.hpp"
#include "frame_test_util.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <vector>

namespace fs = std::filesystem;
using namespace pando;
using pando::test::Case;
using pando::test::corpus;
using pando::test::render;
using pando::test::render_bad;

namespace {

// The result of reading a case one way, as text.
template <class Read>
std::string outcome(Read&& read) {
  try {
    csv::BadLineReport bad;
    Table t = read(bad);
    return render(t) + render_bad(bad);
  } catch (const Error& e) {
    return std::string("error: ") + e.what() + "\n";
  }
}

std::string whole(const Case& c) {
  return outcome(
      [&](csv::BadLineReport& bad) { return csv::read_csv_text(c.text, c.options, c.name, &bad); });
}

std::string cut(const Case& c, std::vector<std::int64_t> cuts, std::size_t lookahead) {
  return outcome([&](csv::BadLineReport& bad) {
    return csv::read_csv_text_split(c.text, cuts, c.options, c.name, lookahead, &bad);
  });
}

}  // namespace

TEST(CsvCorpus, MatchesExpected) {
  const bool regen = std::getenv("PANDO_REGEN_EXPECTED") != nullptr;
  auto cases = corpus();
  ASSERT_GE(cases.size(), 40u);
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    std::string got = whole(c);
    std::string expected = test::read_file(c.expected_path);
    std::string want = c.options_line.empty() ? expected : expected.substr(expected.find('\n') + 1);
    if (regen) {
      test::write_file(c.expected_path,
                       (c.options_line.empty() ? "" : c.options_line + "\n") + got);
      continue;
    }
    EXPECT_EQ(got, want);
  }
}

// Every cut into two ranges, and every pair of cuts into three, gives the same rows, skipped
// lines and errors as one range. A short lookahead forces the cut rules for quote runs.
TEST(CsvCorpus, EveryCutGivesTheSameResult) {
  const LogLevel level = detail::log_state().level;
  set_log_level(LogLevel::error);  // ragged_warn.csv would warn for every cut
  for (const auto& c : corpus()) {
    SCOPED_TRACE(c.name);
    const std::string want = whole(c);
    const auto n = static_cast<std::int64_t>(c.text.size());
    int failures = 0;
    for (std::int64_t a = 1; a < n && failures < 3; ++a) {
      std::string got = cut(c, {a}, 16);
      if (got != want) {
        ++failures;
        ADD_FAILURE() << "cut at " << a << ":\n" << got << "want:\n" << want;
      }
    }
    // Three ranges: all pairs for small files, a stride for larger ones.
    const std::int64_t step = n <= 300 ? 1 : n / 150 + 1;
    for (std::int64_t a = 1; a < n && failures < 3; a += step)
      for (std::int64_t b = a + 1; b < n && failures < 3; b += step) {
        std::string got = cut(c, {a, b}, 16);
        if (got != want) {
          ++failures;
          ADD_FAILURE() << "cuts at " << a << ", " << b << ":\n" << got << "want:\n" << want;
        }
      }
  }
  set_log_level(level);
}

// Many small ranges at once (one per few bytes): ranges without a row start of their own.
TEST(CsvCorpus, TinyRanges) {
  const LogLevel level = detail::log_state().level;
  set_log_level(LogLevel::error);
  for (const auto& c : corpus()) {
    SCOPED_TRACE(c.name);
    const std::string want = whole(c);
    for (std::int64_t width : {1, 2, 3, 5, 7}) {
      std::vector<std::int64_t> cuts;
      for (std::int64_t a = width; a < static_cast<std::int64_t>(c.text.size()); a += width)
        cuts.push_back(a);
      EXPECT_EQ(cut(c, cuts, 64), want) << "ranges of " << width << " bytes";
    }
  }
  set_log_level(level);
}

// The corpus tokenized as raw strings agrees with pandas (dtype=str, no null values), and our
// inferred types agree with pandas' where the documented rules say they should.
TEST(CsvCorpus, AgreesWithPandas) {
  std::string listing;
  for (const auto& c : corpus()) {
    CsvOptions raw = c.options;
    raw.na_values.clear();
    raw.on_bad_lines = c.options.on_bad_lines == BadLines::error ? BadLines::error : BadLines::skip;
    std::string got = outcome([&](csv::BadLineReport& bad) {
      auto h = csv::read_header(c.text, true, raw, c.name);
      raw.dtypes.clear();
      for (const auto& n : h.names) raw.dtypes[n] = DType::string;
      return csv::read_csv_text(c.text, raw, c.name, &bad);
    });
    std::string typed = whole(c);
    const std::string base = test::temp_dir() + "/" + c.name;
    test::write_file(base + ".raw", got);
    test::write_file(base + ".typed", typed);
    listing += fmt::format("{}\t{}/{}\t{}\n", c.name, test::csv_data_dir(), c.name, c.options_line);
  }
  test::write_file(test::temp_dir() + "/corpus.list", listing);
  auto r = test::pandas_check(
      fmt::format("corpus {} {}", test::temp_dir() + "/corpus.list", test::temp_dir()));
  EXPECT_EQ(r.status, 0) << r.output;
}

TEST(CsvCorpus, GzipFileReadsLikeThePlainOne) {
  const std::string src = test::csv_data_dir() + "/quoted_newline.csv";
  const std::string gz = test::temp_dir() + "/quoted_newline.csv.gz";
  auto r = test::run(fmt::format("gzip -c {} > {}", src, gz));
  ASSERT_EQ(r.status, 0) << r.output;
  Table plain = csv::read_csv_file(src);
  Table inflated = csv::read_csv_file(gz);
  EXPECT_TRUE(plain.equals(inflated)) << render(inflated);
  // Two members (cat a.gz b.gz) inflate to both texts, like gzip -d.
  const std::string two = test::temp_dir() + "/two.gz";
  r = test::run(fmt::format("(gzip -c {0}; printf '6,more\\n' | gzip -c) > {1}", src, two));
  ASSERT_EQ(r.status, 0) << r.output;
  Table t = csv::read_csv_file(two);
  EXPECT_EQ(t.rows(), plain.rows() + 1);
  // Truncated data is an IoError naming the file.
  std::string bytes = test::read_file(gz);
  const std::string cut_gz = test::temp_dir() + "/cut.gz";
  test::write_file(cut_gz, bytes.substr(0, bytes.size() / 2));
  try {
    csv::read_csv_file(cut_gz);
    ADD_FAILURE() << "a truncated gzip file was read";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("cut.gz: truncated gzip data"), std::string::npos)
        << e.what();
  }
}
