#include <pando/core/serialize.hpp>

#include <fmt/format.h>

#include <boost/core/demangle.hpp>

#include <cstring>

namespace pando::detail {

std::streamsize BytesSink::xsputn(const char* s, std::streamsize n) {
  const auto* p = reinterpret_cast<const std::byte*>(s);
  out_.insert(out_.end(), p, p + n);
  return n;
}

BytesSink::int_type BytesSink::overflow(int_type c) {
  if (!traits_type::eq_int_type(c, traits_type::eof()))
    out_.push_back(static_cast<std::byte>(traits_type::to_char_type(c)));
  return traits_type::not_eof(c);
}

BytesSource::BytesSource(std::span<const std::byte> in) {
  // std::streambuf's get area takes char* (non-const); it is only read.
  auto* p = const_cast<char*>(reinterpret_cast<const char*>(in.data()));
  setg(p, p, p + in.size());
}

void throw_serialization_error(const char* direction, const char* type, const std::exception& e) {
  throw ValueError(fmt::format("cannot {} a value of type {}: {}", direction,
                               boost::core::demangle(type), e.what()));
}

}  // namespace pando::detail
