#pragma once
// JSON text for the few places Pando writes it (traces, reports, test references).

#include <string>
#include <string_view>

namespace pando {

// `s` as a JSON string literal, quotes included, as Python's json.dumps(s, ensure_ascii=False)
// writes it: bytes past ASCII pass through (UTF-8 stays UTF-8).
[[nodiscard]] std::string json_quote(std::string_view s);

// Appends json_quote(s) to `out` (no temporary: reports quote millions of keys).
void append_json_quote(std::string& out, std::string_view s);

}  // namespace pando
