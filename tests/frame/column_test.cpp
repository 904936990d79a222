// Column: layout, factories, builders and operations against plain loops, awkward sizes
// (0, 1, 63, 64, 65 rows, offsets off the 64-bit words), nulls everywhere or nowhere.

#include <pando/frame/column.hpp>
#include <pando/graph/value.hpp>

#include <gtest/gtest.h>

#include "frame_test_util.hpp"

#include <random>

using namespace pando;
using test::render_value;

namespace {

std::vector<std::string> cells(const Column& c) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < c.size(); ++i) out.push_back(render_value(c, i));
  return out;
}

// A random column of each type, with nulls at rate `null_rate`.
Column random_column(DType t, std::size_t n, double null_rate, std::mt19937_64& rng) {
  std::vector<bool> valid(n);
  std::bernoulli_distribution is_null(null_rate);
  for (std::size_t i = 0; i < n; ++i) valid[i] = !is_null(rng);
  switch (t) {
    case DType::boolean: {
      std::vector<bool> v(n);
      for (std::size_t i = 0; i < n; ++i) v[i] = rng() & 1;
      return Column::from_bools(v, valid);
    }
    case DType::int32: {
      std::vector<std::int32_t> v(n);
      for (auto& x : v) x = static_cast<std::int32_t>(rng() % 2001) - 1000;
      return Column::from_values(std::move(v), valid);
    }
    case DType::int64:
    case DType::timestamp: {
      std::vector<std::int64_t> v(n);
      for (auto& x : v) x = static_cast<std::int64_t>(rng() % 1000000000000000000ull);
      return t == DType::int64 ? Column::from_values(std::move(v), valid)
                               : Column::from_timestamps(std::move(v), valid);
    }
    case DType::float32: {
      std::vector<float> v(n);
      for (auto& x : v) x = static_cast<float>(rng() % 1000) / 8.0f;
      return Column::from_values(std::move(v), valid);
    }
    case DType::float64: {
      std::vector<double> v(n);
      for (auto& x : v) x = static_cast<double>(rng() % 100000) / 16.0 - 1000;
      return Column::from_values(std::move(v), valid);
    }
    case DType::string: {
      std::vector<std::optional<std::string>> v(n);
      for (std::size_t i = 0; i < n; ++i)
        if (valid[i]) v[i] = std::string(rng() % 12, static_cast<char>('a' + rng() % 26));
      return Column::from_strings(v);
    }
    case DType::uint64:  // arrays only
      break;
  }
  return {};
}

const DType all_types[] = {DType::boolean, DType::int32,  DType::int64,    DType::float32,
                           DType::float64, DType::string, DType::timestamp};

}  // namespace

TEST(Column, Layout) {
  Column c = Column::from_values<std::int64_t>({1, 2, 3, 4}, {true, false, true, true});
  EXPECT_EQ(c.type(), DType::int64);
  EXPECT_EQ(c.size(), 4u);
  EXPECT_EQ(c.null_count(), 1u);
  EXPECT_FALSE(c.is_valid(1));
  EXPECT_EQ(c.values<std::int64_t>()[1], 0);  // a null's slot holds 0
  EXPECT_EQ(c.validity().size(), 8u);         // whole 64-bit words
  EXPECT_EQ(c.validity_words()[0], 0b1101u);  // zero tail bits
  EXPECT_THROW((void)c.values<double>(), TypeError);
  EXPECT_THROW((void)c.values<std::int32_t>(), TypeError);

  Column s = Column::from_strings(
      {std::optional<std::string>("ab"), std::nullopt, std::optional<std::string>("")});
  EXPECT_EQ(s.type(), DType::string);
  EXPECT_EQ(s.null_count(), 1u);
  EXPECT_EQ(s.offsets().size(), 4u);
  EXPECT_EQ(s.offsets()[0], 0);
  EXPECT_EQ(s.string_at(0), "ab");
  EXPECT_EQ(s.string_at(2), "");
  EXPECT_EQ(s.chars().size(), 2u);

  Column none = Column::from_values<double>({1.5, 2.5});
  EXPECT_EQ(none.null_count(), 0u);
  EXPECT_TRUE(none.validity().empty());

  Column b = Column::from_bools({true, false, true});
  EXPECT_EQ(b.values<bool>()[0], true);
  EXPECT_EQ(b.values<std::uint8_t>()[1], 0);

  Column n = Column::nulls(DType::timestamp, 3);
  EXPECT_EQ(n.null_count(), 3u);
  EXPECT_EQ(cells(n), (std::vector<std::string>{"null", "null", "null"}));
  EXPECT_EQ(Column().size(), 0u);
}

TEST(Column, Builders) {
  ColumnBuilder<std::int64_t> ts(DType::timestamp);
  ts.append(5);
  ts.append_null();
  Column t = ts.finish();
  EXPECT_EQ(t.type(), DType::timestamp);
  EXPECT_EQ(cells(t), (std::vector<std::string>{"t\"1970-01-01 00:00:00.000000005\"", "null"}));
  EXPECT_THROW(ColumnBuilder<double>(DType::int64), TypeError);

  // Many rows with the first null late: the bitmap is made then, earlier rows valid.
  ColumnBuilder<double> d;
  for (int i = 0; i < 1000; ++i) i == 700 ? d.append_null() : d.append(i * 0.5);
  Column dc = d.finish();
  EXPECT_EQ(dc.null_count(), 1u);
  for (std::size_t i = 0; i < 1000; ++i) EXPECT_EQ(dc.is_valid(i), i != 700);

  StringColumnBuilder sb;
  sb.append("x");
  sb.append_null();
  sb.append("yz");
  Column sc = sb.finish();
  EXPECT_EQ(cells(sc), (std::vector<std::string>{"\"x\"", "null", "\"yz\""}));
  ColumnBuilder<bool> bb;
  bb.append(true);
  EXPECT_EQ(bb.finish().type(), DType::boolean);
}

TEST(Column, FromBuffersChecksAndRepairs) {
  // An Arrow-style bitmap of ceil(n/8) bytes with dirty tail bits is copied into our form.
  Buffer bits = Buffer::copy_of(std::vector<std::byte>{std::byte{0xfd}});  // 11111101
  std::vector<std::int32_t> v{1, 2, 3};
  Buffer data = Buffer::copy_of(std::as_bytes(std::span(v)));
  Column c = Column::from_buffers(DType::int32, 3, bits, data);
  EXPECT_EQ(c.null_count(), 1u);
  EXPECT_EQ(c.validity().size(), 8u);
  EXPECT_EQ(c.validity_words()[0], 0b101u);
  EXPECT_THROW(Column::from_buffers(DType::int64, 3, {}, data), ValueError);
  std::vector<std::int64_t> bad_offsets{0, 3, 2};
  EXPECT_THROW(Column::from_buffers(DType::string, 2, {},
                                    Buffer::copy_of(std::as_bytes(std::span(bad_offsets))),
                                    Buffer::copy_of(std::as_bytes(std::span("abc", 3)))),
               ValueError);
  // Offsets that do not start at 0 are rebased.
  std::vector<std::int64_t> off{2, 3, 5};
  Column s =
      Column::from_buffers(DType::string, 2, {}, Buffer::copy_of(std::as_bytes(std::span(off))),
                           Buffer::copy_of(std::as_bytes(std::span("abcde", 5))));
  EXPECT_EQ(s.string_at(0), "c");
  EXPECT_EQ(s.string_at(1), "de");
  EXPECT_EQ(s.offsets()[0], 0);
}

// slice / filter / take / concat of every type against plain loops over random columns.
namespace {

// slice, filter, take and concat of `c` against loops over its cells.
void check_operations(const Column& c, std::mt19937_64& rng) {
  const std::size_t n = c.size();
  auto all = cells(c);
  for (std::size_t off = 0; off <= n; off += (n > 70 ? 13 : 1)) {
    std::size_t len = (n - off) / 2 + ((n - off) % 2);
    Column s = c.slice(off, len);
    std::vector<std::string> want(all.begin() + static_cast<std::ptrdiff_t>(off),
                                  all.begin() + static_cast<std::ptrdiff_t>(off + len));
    ASSERT_EQ(cells(s), want) << "slice " << off << "+" << len;
    if (s.null_count()) {
      EXPECT_EQ(s.validity().size(), detail::validity_bytes(len));
    }
  }
  // filter with a mask that has nulls
  std::vector<bool> m(n), mv(n);
  for (std::size_t i = 0; i < n; ++i) m[i] = rng() % 3 != 0, mv[i] = rng() % 5 != 0;
  Column mask = Column::from_bools(m, mv);
  std::vector<std::string> want;
  for (std::size_t i = 0; i < n; ++i)
    if (m[i] && mv[i]) want.push_back(all[i]);
  ASSERT_EQ(cells(c.filter(mask)), want);
  // take with repeats and -1
  std::vector<std::int64_t> idx;
  want.clear();
  for (std::size_t k = 0; k < n + 5; ++k) {
    std::int64_t i = n ? static_cast<std::int64_t>(rng() % (n + 1)) - 1 : -1;
    idx.push_back(i);
    want.push_back(i < 0 ? "null" : all[static_cast<std::size_t>(i)]);
  }
  ASSERT_EQ(cells(c.take(idx)), want);
  // concat of three uneven pieces
  if (n >= 3) {
    std::vector<Column> parts{c.slice(0, 1), c.slice(1, n / 2), c.slice(1 + n / 2, n - 1 - n / 2)};
    Column back = Column::concat(parts);
    ASSERT_TRUE(back.equals(c));
    ASSERT_EQ(cells(back), all);
  }
}

// A string column with few distinct values (the kind the CSV reader encodes).
Column few_strings(std::size_t n, double null_rate, std::mt19937_64& rng) {
  const char* names[] = {"books", "garden", "", "caf\xc3\xa9", "toys"};
  std::bernoulli_distribution is_null(null_rate);
  std::vector<std::optional<std::string>> v(n);
  for (auto& x : v)
    if (!is_null(rng)) x = names[rng() % 5];
  return Column::from_strings(v);
}

}  // namespace

TEST(Column, OperationsMatchPlainLoops) {
  std::mt19937_64 rng(5);
  for (DType t : all_types)
    for (std::size_t n : {0u, 1u, 63u, 64u, 65u, 200u})
      for (double rate : {0.0, 0.3, 1.0}) {
        SCOPED_TRACE(fmt::format("{} n={} nulls={}", to_string(t), n, rate));
        check_operations(random_column(t, n, rate, rng), rng);
      }
}

TEST(Column, DictionaryEncodedStringsHoldTheSameValues) {
  std::mt19937_64 rng(11);
  for (std::size_t n : {0u, 1u, 63u, 64u, 65u, 200u})
    for (double rate : {0.0, 0.3, 1.0}) {
      SCOPED_TRACE(fmt::format("n={} nulls={}", n, rate));
      const Column plain = few_strings(n, rate, rng);
      const Column c = plain.dictionary_encoded();
      ASSERT_TRUE(c.is_dictionary());
      EXPECT_EQ(c.type(), DType::string);
      EXPECT_LE(c.dictionary().size(), 5u);
      EXPECT_EQ(cells(c), cells(plain));
      EXPECT_TRUE(c.equals(plain) && plain.equals(c));
      EXPECT_FALSE(c.decoded().is_dictionary());
      EXPECT_TRUE(c.decoded().equals(plain));
      EXPECT_TRUE(c.cast(DType::string).is_dictionary());
      for (std::size_t i = 0; i < n; ++i) {
        if (c.is_null(i)) {
          EXPECT_EQ(c.string_at(i), "");  // as a plain column's null
        }
      }
      check_operations(c, rng);
      if (n >= 2) {
        // Parts with their own dictionaries merge into one; with a plain part they decode.
        std::vector<Column> parts{plain.slice(n / 2, n - n / 2).dictionary_encoded(),
                                  plain.slice(0, n / 2).dictionary_encoded()};
        std::vector<Column> want{plain.slice(n / 2, n - n / 2), plain.slice(0, n / 2)};
        const Column merged = Column::concat(parts);
        EXPECT_TRUE(merged.equals(Column::concat(want)));
        if (n >= 63) {
          EXPECT_TRUE(merged.is_dictionary());  // few distinct values per row
        }
        parts[1] = want[1];
        EXPECT_FALSE(Column::concat(parts).is_dictionary());
        EXPECT_TRUE(Column::concat(parts).equals(Column::concat(want)));
      }
      // Through the codec.
      Encoded e = Codec<Column>::encode(c, nullptr);
      Encoded wire{e.type, e.meta, {}};
      for (const auto& b : e.buffers) wire.buffers.push_back(Buffer::copy_of(b.bytes()));
      const Column back = Codec<Column>::decode(wire);
      EXPECT_TRUE(back.is_dictionary());
      EXPECT_TRUE(back.equals(plain));
    }
}

TEST(Column, DictionaryErrors) {
  const Column dict = Column::from_strings(std::vector<std::string>{"a", "b"});
  Buffer codes = Buffer::copy_of(std::as_bytes(std::span<const std::int32_t>({0, 2})));
  EXPECT_THROW((void)Column::from_dictionary(dict, 2, {}, codes), ValueError);
  EXPECT_THROW((void)Column::from_dictionary(Column::from_values<std::int64_t>({1}), 2, {}, codes),
               ValueError);
  const Column c =
      Column::from_strings(std::vector<std::string>{"x", "y", "x"}).dictionary_encoded();
  EXPECT_THROW((void)c.offsets(), TypeError);
  EXPECT_THROW((void)Column::from_values<double>({1.0}).dictionary(), TypeError);
  EXPECT_THROW((void)Column::from_values<double>({1.0}).dictionary_encoded(), TypeError);
  EXPECT_EQ(c.codes()[0], c.codes()[2]);
  EXPECT_EQ(c.string_at(1), "y");
}

TEST(Column, OperationErrors) {
  Column c = Column::from_values<std::int64_t>({1, 2, 3});
  EXPECT_THROW((void)c.slice(2, 2), ValueError);
  EXPECT_THROW((void)c.filter(Column::from_bools({true})), ShapeError);
  EXPECT_THROW((void)c.filter(c), TypeError);
  std::vector<std::int64_t> idx{3};
  EXPECT_THROW((void)c.take(idx), ValueError);
  std::vector<Column> mixed{c, Column::from_values<double>({1.0})};
  EXPECT_THROW((void)Column::concat(mixed), TypeError);
}

TEST(Column, Cast) {
  Column i = Column::from_values<std::int64_t>({1, -2, 3}, {true, true, false});
  Column f = i.cast(DType::float64);
  EXPECT_EQ(cells(f), (std::vector<std::string>{"1.0", "-2.0", "null"}));
  EXPECT_TRUE(f.cast(DType::int64).equals(i));
  EXPECT_THROW((void)Column::from_values<double>({1.5}).cast(DType::int64), ValueError);
  EXPECT_THROW((void)Column::from_values<double>({1e30}).cast(DType::int64), ValueError);
  EXPECT_THROW((void)Column::from_values<std::int64_t>({1ll << 40}).cast(DType::int32), ValueError);
  EXPECT_EQ(cells(i.cast(DType::boolean)), (std::vector<std::string>{"true", "true", "null"}));
  EXPECT_EQ(cells(i.cast(DType::string)), (std::vector<std::string>{"\"1\"", "\"-2\"", "null"}));
  EXPECT_EQ(i.cast(DType::timestamp).type(), DType::timestamp);
  Column ts = Column::from_timestamps({0, 86400000000000});
  EXPECT_EQ(cells(ts.cast(DType::string)),
            (std::vector<std::string>{"\"1970-01-01\"", "\"1970-01-02\""}));
  EXPECT_EQ(cells(Column::from_values<double>({0.1, 1e16}).cast(DType::string)),
            (std::vector<std::string>{"\"0.1\"", "\"1e+16\""}));
  EXPECT_THROW((void)Column::from_strings(std::vector<std::string>{"1"}).cast(DType::int64),
               TypeError);
}

// Through the codec: buffers are shared, not copied, and come back equal.
TEST(Column, CodecSendsBuffersWithoutCopies) {
  std::mt19937_64 rng(9);
  for (DType t : all_types)
    for (double rate : {0.0, 0.5}) {
      Column c = random_column(t, 77, rate, rng);
      Encoded e = Codec<Column>::encode(c, nullptr);
      ASSERT_EQ(e.buffers.size(), (rate > 0 ? 1u : 0u) + 1u + (t == DType::string ? 1u : 0u));
      EXPECT_EQ(e.buffers[rate > 0 ? 1 : 0].data(), c.data().data());  // no copy
      // As a receiver would see it: fresh aligned buffers.
      Encoded wire{e.type, e.meta, {}};
      for (const auto& b : e.buffers) wire.buffers.push_back(Buffer::copy_of(b.bytes()));
      Column back = Codec<Column>::decode(wire);
      EXPECT_TRUE(back.equals(c)) << to_string(t);
      EXPECT_EQ(back.data().data(), wire.buffers[rate > 0 ? 1 : 0].data());  // wrapped, not copied
      Value v = Value::from_encoded(wire);
      EXPECT_TRUE(v.get<Column>().equals(c));
      EXPECT_EQ(Value::of(c).nbytes(), c.nbytes());
    }
  Encoded bad = Codec<Column>::encode(Column::from_values<double>({1.0}), nullptr);
  bad.buffers.clear();
  EXPECT_THROW(Codec<Column>::decode(bad), ValueError);
}
