// CSV split: scan_range and resolve_ranges in detail, then random CSV texts (quotes, doubled
// quotes, quoted line breaks, CRLF, bare CR, blank lines, escapes, stray quotes) cut at random
// places into many ranges, which must give exactly the rows of one range.

#include <pando/frame/csv.hpp>

#include <gtest/gtest.h>

#include "frame_test_util.hpp"

#include <random>

using namespace pando;
using namespace pando::csv;

namespace {

RangeScan scan(std::string_view text, std::int64_t begin, std::int64_t end, bool starts_row,
               const CsvOptions& o = {}) {
  RangeBytes rb;
  rb.window = text;
  rb.window_begin = 0;
  rb.begin = begin;
  rb.end = end;
  rb.window_reaches_eof = true;
  rb.starts_row = starts_row;
  return scan_range(rb, o, "t.csv");
}

std::string what(auto&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST(CsvSplit, ScanFindsRowStartsUnderBothAssumptions) {
  //                 0123 4567 89012345 6789
  std::string text = "a,b\n1,\"x\ny\"\n2,z\n";
  // A range cut at 7, inside the quoted field in truth; byte 6 is a quote, so the cut moves to 8.
  RangeScan s = scan(text, 7, 16, false);
  EXPECT_EQ(s.scan_begin, 8);
  EXPECT_EQ(s.scan_end, 16);
  EXPECT_EQ(s.line_breaks, 3);
  // Outside quotes: the \n after x ends a row; y" is a stray quote (data).
  EXPECT_EQ(s.outside.first_row, 9);
  EXPECT_EQ(s.outside.breaks_before, 1);
  EXPECT_FALSE(s.outside.ends_in_quotes);
  // Inside quotes: the \n after x is data; y" closes; the next \n ends the row.
  EXPECT_EQ(s.inside.first_row, 12);
  EXPECT_EQ(s.inside.breaks_before, 2);
  EXPECT_FALSE(s.inside.ends_in_quotes);

  RangeScan first = scan(text, 4, 7, true);
  EXPECT_EQ(first.scan_end, 8);
  EXPECT_EQ(first.outside.first_row, 4);
  EXPECT_TRUE(first.outside.ends_in_quotes);  // the range ends inside "x
  std::vector<RangeScan> scans{first, s};
  auto rows = resolve_ranges(scans, 2);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].begin, 4);
  EXPECT_EQ(rows[0].end, 12);
  EXPECT_EQ(rows[0].first_line, 2);
  EXPECT_EQ(rows[1].begin, 12);
  EXPECT_EQ(rows[1].end, 16);
  EXPECT_EQ(rows[1].first_line, 4);
}

TEST(CsvSplit, CutsMovePastTwoByteTokens) {
  // A cut between the two quotes of "" (inside a quoted field) or between \r and \n moves on.
  std::string text = "a\n\"x\"\"y\"\r\nz\n";
  //                  01 2 3 4 5 6 7 8 9 0
  RangeScan s = scan(text, 5, 9, false);  // bytes 4 and 5 are quotes: the cut moves to 7
  EXPECT_EQ(s.scan_begin, 7);
  EXPECT_EQ(s.scan_end, 10);  // byte 8 is \r: 9 is not a cut; 10 is
  RangeScan before = scan(text, 2, 5, true);
  EXPECT_EQ(before.scan_end, 7);  // the neighbour agrees
  CsvOptions esc;
  esc.escape = '\\';
  std::string e = "a\nx\\,y\n";
  EXPECT_EQ(scan(e, 5, 7, false, esc).scan_begin, 6);  // byte 4 is escaped (escape at 3)
}

TEST(CsvSplit, Errors) {
  std::string text = "a\n\"\"\"\"\"\"\"\"\"\"\n";
  RangeBytes rb;
  rb.window = std::string_view(text).substr(0, 6);
  rb.window_begin = 0;
  rb.begin = 3;
  rb.end = 4;
  EXPECT_EQ(what([&] { scan_range(rb, {}, "q.csv"); }),
            "q.csv: cannot cut the file near byte 3: the 3 bytes after it are all quote, escape or "
            "carriage-return characters; hint: read this file as one range");
  RangeBytes nolook;
  nolook.window = std::string_view(text).substr(3);
  nolook.window_begin = 3;
  nolook.begin = 3;
  nolook.end = 5;
  EXPECT_THROW(scan_range(nolook, {}, "q.csv"), UsageError);  // no bytes before the range
  std::vector<RangeScan> gap{scan("a\nb\nc\n", 2, 3, true), scan("a\nb\nc\n", 4, 6, false)};
  EXPECT_THROW(resolve_ranges(gap, 2), UsageError);
  std::vector<RangeScan> no_first{scan("a\nb\nc\n", 2, 6, false)};
  EXPECT_THROW(resolve_ranges(no_first, 2), UsageError);
  auto plan = plan_ranges(10, 110, 30);
  ASSERT_EQ(plan.size(), 4u);
  EXPECT_EQ(plan.front().first, 10);
  EXPECT_EQ(plan.back().second, 110);
  EXPECT_EQ(plan_ranges(10, 10, 30).size(), 1u);
}

namespace {

// A random CSV text: `cols` columns, fields plain, quoted (with doubled quotes, delimiters and
// line breaks inside, text after the closing quote), with stray quotes, escapes, blank lines and
// mixed line endings.
std::string random_csv(std::mt19937_64& rng, std::size_t rows, std::size_t cols,
                       const CsvOptions& o) {
  const char d = o.delimiter, q = o.quote ? o.quote : '"', e = o.escape;
  auto pick = [&](std::size_t n) { return rng() % n; };
  auto eol = [&]() -> std::string {
    switch (pick(6)) {
      case 0:
        return "\r\n";
      case 1:
        return "\r";
      default:
        return "\n";
    }
  };
  std::string out;
  for (std::size_t c = 0; c < cols; ++c)
    out += (c ? std::string(1, d) : "") + "c" + std::to_string(c);
  out += eol();
  for (std::size_t r = 0; r < rows; ++r) {
    if (pick(10) == 0) out += pick(2) ? eol() : "  " + eol();  // blank lines
    for (std::size_t c = 0; c < cols; ++c) {
      if (c) out += d;
      switch (pick(8)) {
        case 0:
          break;  // empty
        case 1:
          out += std::to_string(pick(1000));
          break;
        case 2:
          out += "x" + std::string(1, q) + "y";
          break;  // stray quote: data
        case 3:
          if (e) {
            out += "a";
            out += e;
            out += "bcq,\n"[pick(5)] == 'q' ? q : "bcq,\n"[pick(5)];
          } else {
            out += "plain";
          }
          break;
        default: {
          std::string f(1, q);
          for (std::size_t k = pick(8); k-- > 0;) {
            switch (pick(7)) {
              case 0:
                f += std::string(2, q);
                break;
              case 1:
                f += d;
                break;
              case 2:
                f += eol();
                break;
              case 3:
                if (e) {
                  f += e;
                  f += q;
                }
                break;
              default:
                f += static_cast<char>('a' + pick(26));
            }
          }
          f += q;
          if (pick(10) == 0) f += "tail";
          out += f;
        }
      }
    }
    if (r + 1 < rows || pick(2)) out += eol();
  }
  return out;
}

}  // namespace

TEST(CsvSplit, RandomTextsAtRandomCuts) {
  std::mt19937_64 rng(2024);
  std::vector<CsvOptions> dialects(4);
  dialects[1].delimiter = ';';
  dialects[2].escape = '\\';
  dialects[3].quote = '\'';
  dialects[3].delimiter = '\t';
  int compared = 0;
  for (int round = 0; round < 400; ++round) {
    CsvOptions o = dialects[static_cast<std::size_t>(round) % dialects.size()];
    o.na_values.clear();
    std::string text = random_csv(rng, 1 + rng() % 30, 1 + rng() % 4, o);
    // All columns as strings: the test is about rows, not types.
    auto header = read_header(text, true, o, "r.csv");
    for (const auto& n : header.names) o.dtypes[n] = DType::string;
    o.on_bad_lines = BadLines::skip;
    std::string want;
    try {
      want = test::render(read_csv_text(text, o, "r.csv"));
    } catch (const ParseError& e) {
      want = e.what();
    }
    for (int k = 0; k < 20; ++k) {
      std::vector<std::int64_t> cuts;
      for (std::size_t c = 1 + rng() % 6; c-- > 0;)
        cuts.push_back(static_cast<std::int64_t>(rng() % (text.size() + 1)));
      std::sort(cuts.begin(), cuts.end());
      std::string got;
      try {
        got = test::render(read_csv_text_split(text, cuts, o, "r.csv", 1 + rng() % 64));
      } catch (const ParseError& e) {
        got = e.what();
        if (got.find("cannot cut the file") != std::string::npos) continue;  // a short lookahead
      }
      ++compared;
      ASSERT_EQ(got, want) << "text:\n"
                           << text << "\ncuts: " << fmt::format("{}", fmt::join(cuts, ","));
    }
  }
  EXPECT_GT(compared, 7000);
}
