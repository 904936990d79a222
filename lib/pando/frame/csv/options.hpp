#pragma once
// How a CSV file is read and written. Defaults follow pandas.read_csv / DataFrame.to_csv, so
// that a file pandas wrote reads the same here and the reverse.

#include <pando/core/dtype.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace pando {

// What to do with a row of more fields than the header (pandas' on_bad_lines). Only the
// number of fields makes a row bad; a value that does not fit its column's type is always an
// error (it names the column and suggests a dtype), as in pandas.
enum class BadLines : std::uint8_t { error, skip, warn };

// pandas 2.x default na_values: "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN",
// "-nan", "1.#IND", "1.#QNAN", "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null".
// (pandas 1.5, Debian 12's, lacks "None".) A field equal to one of them, quoted or not, is null
// in every column, strings included.
const std::vector<std::string>& default_na_values();

struct CsvOptions {
  char delimiter = ',';
  // Quoted fields start with it and double it inside; '\0' turns quoting off (every quote
  // character is data).
  char quote = '"';
  // '\0' for none; otherwise the byte after it is data, inside quotes or out (pandas'
  // escapechar).
  char escape = '\0';
  // The first row names the columns; without it columns are named "0", "1", ...
  bool header = true;
  // Field texts that mean null (exact match, before trimming).
  std::vector<std::string> na_values = default_na_values();
  // Columns to keep (names; empty: all). Kept columns come in file order, as in pandas.
  std::vector<std::string> usecols;
  // Types that replace inference for the named columns.
  std::map<std::string, DType> dtypes;
  BadLines on_bad_lines = BadLines::error;
  // An inferred int64 column that meets a float value later becomes float64 in that partition
  // (the caller unifies partitions and logs it, see infer.hpp). Off: such a value is an error.
  // Local reads only (read.hpp): the distributed read_csv parses partitions when they are used
  // and always turns it off.
  bool allow_widening = true;
  // Bytes at the head of the first file used to infer types.
  std::size_t sample_bytes = 64 * 1024;
  // String columns are dictionary-encoded while that pays (few distinct values: categories,
  // keys); the values are the same either way (column.hpp).
  bool dictionary_strings = true;

  // UsageError for a delimiter, quote or escape that collide or are line breaks.
  void validate() const;

  template <class A>
  void serialize(A& a, unsigned) {
    a& delimiter& quote& escape& header& na_values& usecols& dtypes& on_bad_lines& allow_widening&
        sample_bytes& dictionary_strings;
  }
};

}  // namespace pando
