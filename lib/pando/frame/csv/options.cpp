#include <pando/frame/csv/options.hpp>

#include <pando/core/error.hpp>

#include <fmt/format.h>

namespace pando {

const std::vector<std::string>& default_na_values() {
  static const std::vector<std::string> values{"",         "#N/A", "#N/A N/A", "#NA",    "-1.#IND",
                                               "-1.#QNAN", "-NaN", "-nan",     "1.#IND", "1.#QNAN",
                                               "<NA>",     "N/A",  "NA",       "NULL",   "NaN",
                                               "None",     "n/a",  "nan",      "null"};
  return values;
}

namespace {
std::string show(char c) {
  if (c == '\t') return "'\\t'";
  if (c == '\n') return "'\\n'";
  if (c == '\r') return "'\\r'";
  return fmt::format("'{}'", c);
}
}  // namespace

void CsvOptions::validate() const {
  auto line_break = [](char c) { return c == '\n' || c == '\r'; };
  if (delimiter == '\0' || line_break(delimiter))
    throw UsageError(
        fmt::format("the CSV delimiter cannot be {}", delimiter ? show(delimiter) : "empty"));
  if (line_break(quote) || line_break(escape))
    throw UsageError("the CSV quote and escape characters cannot be line breaks");
  if (quote != '\0' && quote == delimiter)
    throw UsageError(
        fmt::format("the CSV quote character and the delimiter are both {}", show(quote)));
  if (escape != '\0' && (escape == delimiter || escape == quote))
    throw UsageError(fmt::format("the CSV escape character {} is also the {}", show(escape),
                                 escape == delimiter ? "delimiter" : "quote character"));
  for (const auto& [column, type] : dtypes)
    if (type == DType::uint64)  // an array type only (core/dtype.hpp)
      throw UsageError(fmt::format(
          "dtype of column '{}': frames hold int64, float64, bool, string or timestamp columns, "
          "not uint64",
          column));
}

}  // namespace pando
