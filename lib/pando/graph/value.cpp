#include <pando/graph/value.hpp>

#include <boost/core/demangle.hpp>

#include <numeric>

namespace pando {

std::string demangle(const char* mangled_name) { return boost::core::demangle(mangled_name); }

struct Value::Wire final : Holder {
  explicit Wire(Encoded e) : wire(std::move(e)) {}
  [[nodiscard]] const std::type_info* type() const noexcept override { return nullptr; }
  [[nodiscard]] const void* object() const noexcept override { return nullptr; }
  [[nodiscard]] const Encoded* encoded() const noexcept override { return &wire; }
  [[nodiscard]] std::size_t nbytes() const override {
    return std::accumulate(wire.buffers.begin(), wire.buffers.end(), wire.meta.size(),
                           [](std::size_t n, const Buffer& b) { return n + b.size(); });
  }
  [[nodiscard]] Encoded encode(const std::shared_ptr<const void>&) const override { return wire; }
  [[nodiscard]] std::string name() const override { return "(received value)"; }
  Encoded wire;
};

Value Value::from_encoded(Encoded e) {
  Value out;
  out.h_ = std::make_shared<Wire>(std::move(e));
  return out;
}

bool Value::is_failure() const { return holds<TaskFailure>(); }

Encoded Value::encode() const {
  if (!h_) throw ValueError("cannot send an empty value");
  return h_->encode(h_);
}

std::size_t Value::nbytes() const { return h_ ? h_->nbytes() : 0; }

Value Value::owned() const {
  if (!h_ || !h_->borrows()) return *this;
  Encoded e = encode();
  for (Buffer& b : e.buffers) b = b.owned();
  return from_encoded(std::move(e));
}

std::string Value::type_name_of() const { return h_ ? h_->name() : "(empty)"; }

void throw_not_archivable(const std::string& type) {
  throw ValueError("a value of type " + type +
                   " cannot be sent to another rank: give it a serialize() member "
                   "(Boost.Serialization) or a pando::Codec");
}

void Value::throw_type_mismatch(const std::string& expected) const {
  throw TypeError("expected a value of type " + expected + ", found " + type_name_of());
}

void Value::throw_local_only(const std::string& type) {
  throw ValueError("a value of type " + type +
                   " is local to its rank (made with Value::local) and cannot be sent to another "
                   "rank; place its consumers on the same rank");
}

}  // namespace pando
