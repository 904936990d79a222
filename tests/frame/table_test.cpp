// Table: schema rules, column access with clear errors, select/drop/rename, concat, the codec,
// and to_string in pandas' layout (expected strings taken from pandas 1.5's repr).

#include <pando/frame/table.hpp>

#include <gtest/gtest.h>

#include "frame_test_util.hpp"

#include <cmath>

using namespace pando;

namespace {

Table sample() {
  return Table({"id", "x", "name"},
               {Column::from_values<std::int64_t>({1, 2, 3}),
                Column::from_values<double>({1.5, 0, -2.25}, {true, false, true}),
                Column::from_strings({std::optional<std::string>("a"),
                                      std::optional<std::string>("long name"), std::nullopt})});
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

TEST(Table, SchemaAndAccess) {
  Table t = sample();
  EXPECT_EQ(t.rows(), 3u);
  EXPECT_EQ(t.num_columns(), 3u);
  EXPECT_EQ(t.schema().to_string(), "id: int64, x: float64, name: string");
  EXPECT_EQ(t.column("x").null_count(), 1u);
  EXPECT_EQ(what([&] { (void)t.column("qty"); }),
            "no column 'qty'; the columns are 'id', 'x', 'name'");
  EXPECT_THROW(Table({"a", "a"}, {Column(), Column()}), UsageError);
  EXPECT_THROW(Table({"a", "b"}, {Column::from_values<double>({1.0}), Column()}), ShapeError);
  EXPECT_THROW(Table(Schema{{"a", DType::float64}}, {Column()}), TypeError);
}

TEST(Table, SelectDropRenameWith) {
  Table t = sample();
  Table s = t.select({"name", "id"});
  EXPECT_EQ(s.names(), (std::vector<std::string>{"name", "id"}));
  EXPECT_EQ(t.drop({"x"}).names(), (std::vector<std::string>{"id", "name"}));
  EXPECT_THROW((void)t.drop({"nope"}), UsageError);
  Table r = t.rename({{"x", "price"}});
  EXPECT_EQ(r.names(), (std::vector<std::string>{"id", "price", "name"}));
  EXPECT_THROW((void)t.rename({{"x", "id"}}), UsageError);  // clash
  Table w = t.with_column("flag", Column::from_bools({true, false, true}));
  EXPECT_EQ(w.num_columns(), 4u);
  Table w2 = w.with_column("id", Column::from_values<double>({1, 2, 3}));
  EXPECT_EQ(w2.schema()[0].type, DType::float64);
  EXPECT_THROW((void)t.with_column("z", Column::from_bools({true})), ShapeError);
  EXPECT_EQ(t.select({}).rows(), 3u);  // rows without columns keep their count
}

TEST(Table, RowsOperations) {
  Table t = sample();
  EXPECT_EQ(t.head(2).rows(), 2u);
  EXPECT_EQ(t.head(10).rows(), 3u);
  Table f = t.filter(Column::from_bools({true, false, true}));
  EXPECT_EQ(
      test::render(f),
      "schema: \"id\":int64, \"x\":float64, \"name\":string\n[1, 1.5, \"a\"]\n[3, -2.25, null]\n");
  std::vector<std::int64_t> idx{2, 2, -1};
  EXPECT_EQ(t.take(idx).rows(), 3u);
  std::vector<Table> parts{t.slice(0, 1), t.slice(1, 0), t.slice(1, 2)};
  EXPECT_TRUE(Table::concat(parts).equals(t));
  std::vector<Table> bad{t, t.rename({{"x", "y"}})};
  EXPECT_EQ(what([&] { (void)Table::concat(bad); }),
            "cannot concatenate: column 1 is 'x' (float64) in part 0 and 'y' (float64) in part 1");
  std::vector<Table> bad2{t, t.select({"id"})};
  EXPECT_NE(what([&] { (void)Table::concat(bad2); }).find("different columns"), std::string::npos);
  Table c = t.cast(Schema{{"id", DType::float64}, {"x", DType::float64}, {"name", DType::string}});
  EXPECT_EQ(c.column("id").type(), DType::float64);
  EXPECT_TRUE(Table::empty(t.schema()).schema() == t.schema());
}

TEST(Table, CodecRoundTrip) {
  Table t = sample();
  Encoded e = Codec<Table>::encode(t, nullptr);
  EXPECT_EQ(e.buffers.size(), 1u + 2u + 3u);  // id: data; x, name: validity + data (+ chars)
  Encoded wire{e.type, e.meta, {}};
  for (const auto& b : e.buffers) wire.buffers.push_back(Buffer::copy_of(b.bytes()));
  Table back = Codec<Table>::decode(wire);
  EXPECT_TRUE(back.equals(t));
  EXPECT_EQ(back.column("id").data().data(), wire.buffers[0].data());
  EXPECT_EQ(Value::from_encoded(wire).get<Table>().rows(), 3u);
  EXPECT_EQ(Codec<Table>::nbytes(t), t.nbytes());
  Table none = t.select({});
  EXPECT_EQ(Codec<Table>::decode(Codec<Table>::encode(none, nullptr)).rows(), 3u);
  Encoded cut = e;
  cut.meta.resize(10);
  EXPECT_THROW(Codec<Table>::decode(cut), ValueError);
}

TEST(Table, ToStringLikePandas) {
  Table t({"id", "x", "name", "b"},
          {Column::from_values<std::int64_t>({1, 2, 3}),
           Column::from_values<double>({1.5, 0, -2.25}, {true, false, true}),
           Column::from_strings({std::optional<std::string>("a"),
                                 std::optional<std::string>("long name"), std::nullopt}),
           Column::from_bools({true, false, true})});
  EXPECT_EQ(t.to_string(),
            "   id     x       name      b\n"
            "0   1  1.50          a   True\n"
            "1   2   NaN  long name  False\n"
            "2   3 -2.25        NaN   True");
  EXPECT_EQ(Table({"a"}, {Column::from_values<std::int64_t>({-1, 2})}).to_string(),
            "   a\n0 -1\n1  2");
  EXPECT_EQ(Table({"f"}, {Column::from_values<double>({1.0, 2.5})}).to_string(),
            "     f\n0  1.0\n1  2.5");
  EXPECT_EQ(
      Table({"x"}, {Column::from_values<double>({0.1234567891, 12345.678, 1e-3})}).to_string(),
      "              x\n0      0.123457\n1  12345.678000\n2      0.001000");
  EXPECT_EQ(Table({"x"}, {Column::from_values<double>({1e16, 2.0})}).to_string(),
            "              x\n0  1.000000e+16\n1  2.000000e+00");
  EXPECT_EQ(Table({"t"}, {Column::from_timestamps({1704412800000000000, 1704499200000000000})})
                .to_string(),
            "           t\n0 2024-01-05\n1 2024-01-06");
  EXPECT_EQ(Table({"t"}, {Column::from_timestamps({1704412800500000000, 1704499200000000000},
                                                  {true, true})})
                .to_string(),
            "                        t\n0 2024-01-05 00:00:00.500\n1 2024-01-06 00:00:00.000");
  EXPECT_EQ(Table({"s"}, {Column::from_strings(std::vector<std::string>{"é", "ab"})}).to_string(),
            "    s\n0   é\n1  ab");
  std::vector<std::int64_t> a(12);
  for (int i = 0; i < 12; ++i) a[static_cast<std::size_t>(i)] = i;
  EXPECT_EQ(Table({"a"}, {Column::from_values(a)}).to_string(4),
            "     a\n0    0\n1    1\n..  ..\n10  10\n11  11\n\n[12 rows x 1 columns]");
  EXPECT_EQ(Table::empty(Schema{{"a", DType::int64}, {"b", DType::string}}).to_string(),
            "Empty DataFrame\nColumns: [a, b]\nIndex: []");
}
