#pragma once
// Boost.Serialization binary archives to byte buffers and back, and broadcast of serializable
// objects. This is for schedules, metadata and small user values; bulk data (blocks, columns)
// travels as raw bytes and never goes through an archive (docs/architecture.md §4.1).
//
//   struct Fit { double alpha; std::vector<double> coef;
//     template <class A> void serialize(A& a, unsigned) { a & alpha & coef; } };
//   pando::Bytes b = pando::to_bytes(fit);
//   Fit back = pando::from_bytes<Fit>(b);

#include <pando/core/buffer.hpp>
#include <pando/core/comm.hpp>
#include <pando/core/error.hpp>

#include <boost/archive/archive_exception.hpp>
#include <boost/archive/binary_iarchive.hpp>
#include <boost/archive/binary_oarchive.hpp>
#include <boost/serialization/array.hpp>
#include <boost/serialization/complex.hpp>
#include <boost/serialization/deque.hpp>
#include <boost/serialization/list.hpp>
#include <boost/serialization/map.hpp>
#include <boost/serialization/set.hpp>
#include <boost/serialization/split_free.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/unordered_map.hpp>
#include <boost/serialization/unordered_set.hpp>
#include <boost/serialization/utility.hpp>
#include <boost/serialization/vector.hpp>

#include <optional>
#include <span>
#include <stdexcept>
#include <streambuf>
#include <tuple>
#include <typeinfo>
#include <utility>
#include <variant>

// std::optional (Boost 1.74 knows only boost::optional).
namespace boost::serialization {
template <class A, class T>
void save(A& a, const std::optional<T>& v, unsigned) {
  bool has = v.has_value();
  a << has;
  if (has) a << *v;
}
template <class A, class T>
void load(A& a, std::optional<T>& v, unsigned) {
  bool has = false;
  a >> has;
  if (!has) {
    v.reset();
    return;
  }
  T x{};
  a >> x;
  v = std::move(x);
}
template <class A, class T>
void serialize(A& a, std::optional<T>& v, unsigned version) {
  split_free(a, v, version);
}

// std::tuple: its elements in order.
template <class A, class... T>
void serialize(A& a, std::tuple<T...>& v, unsigned) {
  std::apply([&a](auto&... x) { ((a & x), ...); }, v);
}

// std::variant: the index of the alternative, then its value.
template <class A, class... T>
void save(A& a, const std::variant<T...>& v, unsigned) {
  const std::uint32_t index = static_cast<std::uint32_t>(v.index());
  a << index;
  std::visit([&a](const auto& x) { a << x; }, v);
}
template <class A, class... T>
void load(A& a, std::variant<T...>& v, unsigned) {
  std::uint32_t index = 0;
  a >> index;
  if (index >= sizeof...(T)) throw std::out_of_range("variant index out of range in archive");
  auto read = [&]<std::size_t... I>(std::index_sequence<I...>) {
    ((index == I ? (void)[&] {
      std::variant_alternative_t<I, std::variant<T...>> x{};
      a >> x;
      v = std::move(x);
    }() : void()), ...);
  };
  read(std::index_sequence_for<T...>{});
}
template <class A, class... T>
void serialize(A& a, std::variant<T...>& v, unsigned version) {
  split_free(a, v, version);
}
}  // namespace boost::serialization

namespace pando {

namespace detail {

// An output stream buffer that appends to a Bytes vector (no copy through a stringstream).
class BytesSink : public std::streambuf {
 public:
  explicit BytesSink(Bytes& out) : out_(out) {}

 protected:
  std::streamsize xsputn(const char* s, std::streamsize n) override;
  int_type overflow(int_type c) override;

 private:
  Bytes& out_;
};

// An input stream buffer over a span of bytes (read in place).
class BytesSource : public std::streambuf {
 public:
  explicit BytesSource(std::span<const std::byte> in);
};

// Archives without the Boost header: both ends are the same binary.
constexpr unsigned archive_flags = boost::archive::no_header | boost::archive::no_codecvt;

[[noreturn]] void throw_serialization_error(const char* direction, const char* type,
                                            const std::exception& e);

}  // namespace detail

// Serializes the fields of a struct in turn:
//   template <class A> void serialize(A& a, unsigned) { pando::fields(a, alpha, coef); }
template <class A, class... T>
void fields(A& archive, T&... field) {
  ((archive & field), ...);
}

template <class T>
void to_bytes(const T& value, Bytes& out) {
  detail::BytesSink sink(out);
  try {
    boost::archive::binary_oarchive archive(sink, detail::archive_flags);
    archive << value;
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    detail::throw_serialization_error("serialize", typeid(T).name(), e);
  }
}

template <class T>
[[nodiscard]] Bytes to_bytes(const T& value) {
  Bytes out;
  to_bytes(value, out);
  return out;
}

template <class T>
void from_bytes(std::span<const std::byte> bytes, T& value) {
  detail::BytesSource source(bytes);
  try {
    boost::archive::binary_iarchive archive(source, detail::archive_flags);
    archive >> value;
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    detail::throw_serialization_error("deserialize", typeid(T).name(), e);
  }
}

template <class T>
[[nodiscard]] T from_bytes(std::span<const std::byte> bytes) {
  T value{};
  from_bytes(bytes, value);
  return value;
}

// Collective. Root's `value` on every rank.
template <class T>
void broadcast(const Comm& comm, T& value, int root = 0) {
  if (comm.size() == 1) return;
  Bytes bytes;
  if (comm.rank() == root) to_bytes(value, bytes);
  comm.bcast_vector(bytes, root);
  if (comm.rank() != root) from_bytes(bytes, value);
}

}  // namespace pando
