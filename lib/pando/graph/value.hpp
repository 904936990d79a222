#pragma once
// Value: the type-erased result of a task (docs/architecture.md §4.1). It holds a typed payload (an
// array block, a table partition, a scalar, a user object) or the payload's wire form, decoded on
// first typed access; or the failure of the task that should have made it (errors flow like data,
// §5.1).
//
// How a type travels between ranks is its Codec: the default archives it with Boost.Serialization
// (small user values); arithmetic types and std::vector of them go as raw bytes; the array and
// frame modules give their bulk types codecs that send raw buffers and wrap them on arrival
// without a copy.

#include <pando/core/buffer.hpp>
#include <pando/core/consensus.hpp>
#include <pando/core/error.hpp>
#include <pando/core/serialize.hpp>
#include <pando/graph/key.hpp>

#include <array>
#include <complex>
#include <cstring>
#include <deque>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <type_traits>
#include <typeinfo>
#include <unordered_map>
#include <unordered_set>
#include <variant>
#include <vector>

namespace pando {

// The wire form of a value: which type it decodes to, a small metadata part, and bulk buffers
// that travel as they are.
struct Encoded {
  std::uint64_t type = 0;
  Bytes meta;
  std::vector<Buffer> buffers;
};

std::string demangle(const char* mangled_name);

template <class T>
std::uint64_t type_tag() {
  static const std::uint64_t tag = stable_hash(typeid(T).name());
  return tag;
}

template <class T>
const std::string& type_name() {
  static const std::string name = demangle(typeid(T).name());
  return name;
}

// The failure of a task, as it flows through the graph in place of a value.
struct TaskFailure {
  ErrorRecord error;
  std::string key;             // the task that threw
  int rank = -1;               // where it ran
  std::uint64_t position = 0;  // its place in the schedule's global order

  template <class A>
  void serialize(A& a, unsigned) {
    fields(a, error, key, rank, position);
  }
};

// ---- codecs ----

// Whether Boost.Serialization can archive T: numbers, strings, types with a serialize() member
// or a free serialize(Archive&, T&, unsigned) found by argument-dependent lookup, and the
// standard containers, optional, tuple and variant of those. A type serialized another way
// (e.g. a serialize() overload in namespace boost::serialization) says so by specializing this:
//   template <> struct pando::Archivable<MyType> : std::true_type {};
template <class T>
        struct Archivable : std::bool_constant < std::is_arithmetic_v<T> ||
    std::is_enum_v<T> || requires(T& t, boost::archive::binary_oarchive& a) {
  t.serialize(a, 0u);
} || requires(T& t, boost::archive::binary_oarchive& a) {
  serialize(a, t, 0u);
}
> {};
template <class C, class Tr, class A>
struct Archivable<std::basic_string<C, Tr, A>> : std::true_type {};
template <class U>
struct Archivable<std::complex<U>> : Archivable<U> {};
template <class U, class A>
struct Archivable<std::vector<U, A>> : Archivable<U> {};
template <class U, class A>
struct Archivable<std::deque<U, A>> : Archivable<U> {};
template <class U, class A>
struct Archivable<std::list<U, A>> : Archivable<U> {};
template <class U, std::size_t N>
struct Archivable<std::array<U, N>> : Archivable<U> {};
template <class U>
struct Archivable<std::optional<U>> : Archivable<U> {};
template <class K, class V>
struct Archivable<std::pair<K, V>>
    : std::bool_constant<Archivable<K>::value && Archivable<V>::value> {};
template <class... T>
struct Archivable<std::tuple<T...>> : std::bool_constant<(Archivable<T>::value && ...)> {};
template <class... T>
struct Archivable<std::variant<T...>> : std::bool_constant<(Archivable<T>::value && ...)> {};
template <class K, class V, class C, class A>
struct Archivable<std::map<K, V, C, A>> : Archivable<std::pair<K, V>> {};
template <class K, class V, class H, class E, class A>
struct Archivable<std::unordered_map<K, V, H, E, A>> : Archivable<std::pair<K, V>> {};
template <class K, class C, class A>
struct Archivable<std::set<K, C, A>> : Archivable<K> {};
template <class K, class H, class E, class A>
struct Archivable<std::unordered_set<K, H, E, A>> : Archivable<K> {};

[[noreturn]] void throw_not_archivable(const std::string& type);

// Default: Boost.Serialization into the metadata part. A type it cannot archive still makes a
// Value; sending one to another rank is then a clear error, not a compile failure.
template <class T, class Enable = void>
struct Codec {
  static Encoded encode(const T& v, const std::shared_ptr<const void>&) {
    if constexpr (Archivable<T>::value)
      return {type_tag<T>(), to_bytes(v), {}};
    else
      throw_not_archivable(type_name<T>());
  }
  static T decode(const Encoded& e) {
    if constexpr (Archivable<T>::value)
      return from_bytes<T>(e.meta);
    else
      throw_not_archivable(type_name<T>());
  }
  static std::size_t nbytes(const T&) { return sizeof(T); }
};

// Scalars and other plain structs without pointers: their bytes.
template <class T>
struct Codec<T, std::enable_if_t<std::is_arithmetic_v<T> || std::is_enum_v<T>>> {
  static Encoded encode(const T& v, const std::shared_ptr<const void>&) {
    Encoded e{type_tag<T>(), Bytes(sizeof(T)), {}};
    std::memcpy(e.meta.data(), &v, sizeof(T));
    return e;
  }
  static T decode(const Encoded& e) {
    if (e.meta.size() != sizeof(T))
      throw ValueError("received " + std::to_string(e.meta.size()) + " bytes for a value of type " +
                       type_name<T>());
    T v;
    std::memcpy(&v, e.meta.data(), sizeof(T));
    return v;
  }
  static std::size_t nbytes(const T&) { return sizeof(T); }
};

// std::vector of numbers: one raw buffer, sent from the vector's own memory.
template <class T>
struct Codec<std::vector<T>,
             std::enable_if_t<std::is_arithmetic_v<T> && !std::is_same_v<T, bool>>> {
  static Encoded encode(const std::vector<T>& v, const std::shared_ptr<const void>& owner) {
    return {type_tag<std::vector<T>>(), {}, {Buffer::wrap(owner, v.data(), v.size() * sizeof(T))}};
  }
  static std::vector<T> decode(const Encoded& e) {
    auto s = e.buffers.at(0).template as<T>();
    return {s.begin(), s.end()};
  }
  static std::size_t nbytes(const std::vector<T>& v) { return v.size() * sizeof(T); }
};

template <>
struct Codec<std::string> {
  static Encoded encode(const std::string& s, const std::shared_ptr<const void>&) {
    const auto* p = reinterpret_cast<const std::byte*>(s.data());
    return {type_tag<std::string>(), Bytes(p, p + s.size()), {}};
  }
  static std::string decode(const Encoded& e) {
    return {reinterpret_cast<const char*>(e.meta.data()), e.meta.size()};
  }
  static std::size_t nbytes(const std::string& s) { return s.size(); }
};

// ---- Value ----

class Value {
 public:
  Value() = default;

  // A value that can travel between ranks (through Codec<T>).
  template <class T>
  static Value of(T v) {
    Value out;
    out.h_ = std::make_shared<Typed<std::decay_t<T>, true>>(std::move(v));
    return out;
  }
  // A value that never leaves its rank (an open file, a communicator): sending it is an error.
  template <class T>
  static Value local(T v) {
    Value out;
    out.h_ = std::make_shared<Typed<std::decay_t<T>, false>>(std::move(v));
    return out;
  }
  // A value that arrived from another rank; decoded on first typed access.
  static Value from_encoded(Encoded e);
  static Value failure(TaskFailure f) { return of(std::move(f)); }

  [[nodiscard]] bool empty() const noexcept { return !h_; }
  [[nodiscard]] bool is_failure() const;
  [[nodiscard]] const TaskFailure& failure() const { return get<TaskFailure>(); }

  // The payload as a T. TypeError if it is something else.
  template <class T>
  [[nodiscard]] const T& get() const {
    if (!h_) throw TypeError("empty value where a " + type_name<T>() + " was expected");
    if (const std::type_info* t = h_->type(); t && *t == typeid(T))
      return *static_cast<const T*>(h_->object());
    if (auto* enc = h_->encoded()) {
      if (enc->type != type_tag<T>()) throw_type_mismatch(type_name<T>());
      auto decoded = std::make_shared<Typed<T, true>>(Codec<T>::decode(*enc));
      const T& ref = decoded->value;
      h_ = std::move(decoded);  // replaces the wire form: decode once
      return ref;
    }
    throw_type_mismatch(type_name<T>());
  }
  template <class T>
  [[nodiscard]] bool holds() const {
    if (!h_) return false;
    if (const std::type_info* t = h_->type()) return *t == typeid(T);
    return h_->encoded()->type == type_tag<T>();
  }

  // The wire form. ValueError for local-only values.
  [[nodiscard]] Encoded encode() const;
  // Bytes held (an estimate for user objects), for memory accounting.
  [[nodiscard]] std::size_t nbytes() const;
  // This value, with its own copy of any host memory it borrows (Buffer::borrow; a Codec says
  // whether a payload does with `static bool borrows(const T&)`): what is kept past the
  // computation that made it (persisted values, results) takes this.
  [[nodiscard]] Value owned() const;
  [[nodiscard]] std::string type_name_of() const;

 private:
  struct Holder {
    virtual ~Holder() = default;
    // The payload's type, or null for a wire form.
    [[nodiscard]] virtual const std::type_info* type() const noexcept = 0;
    [[nodiscard]] virtual const void* object() const noexcept = 0;
    [[nodiscard]] virtual const Encoded* encoded() const noexcept { return nullptr; }
    [[nodiscard]] virtual std::size_t nbytes() const = 0;
    [[nodiscard]] virtual bool borrows() const noexcept { return false; }
    [[nodiscard]] virtual Encoded encode(const std::shared_ptr<const void>& self) const = 0;
    [[nodiscard]] virtual std::string name() const = 0;
  };

  template <class T, bool Transferable>
  struct Typed final : Holder {
    explicit Typed(T v) : value(std::move(v)) {}
    [[nodiscard]] const std::type_info* type() const noexcept override { return &typeid(T); }
    [[nodiscard]] const void* object() const noexcept override { return &value; }
    [[nodiscard]] std::size_t nbytes() const override {
      if constexpr (Transferable)
        return Codec<T>::nbytes(value);
      else
        return sizeof(T);
    }
    [[nodiscard]] bool borrows() const noexcept override {
      if constexpr (requires(const T& v) { Codec<T>::borrows(v); })
        return Codec<T>::borrows(value);
      else
        return false;
    }
    [[nodiscard]] Encoded encode(const std::shared_ptr<const void>& self) const override {
      if constexpr (Transferable)
        return Codec<T>::encode(value, self);
      else
        throw_local_only(pando::type_name<T>());
    }
    [[nodiscard]] std::string name() const override { return pando::type_name<T>(); }
    T value;
  };

  struct Wire;

  [[noreturn]] void throw_type_mismatch(const std::string& expected) const;
  [[noreturn]] static void throw_local_only(const std::string& type);

  // Mutable: typed access replaces a wire form by its decoded payload (one thread per rank).
  mutable std::shared_ptr<const Holder> h_;
};

}  // namespace pando
