// Element-wise operations. Until the expression language is wired in, only type conversion.

#include <pando/array/node.hpp>

#include <fmt/format.h>

namespace pando {

namespace detail {

void materialize(const ArrayNode&) {
  throw UsageError("element-wise expressions are not available yet");
}

}  // namespace detail

AnyArray AnyArray::astype(DType type) const {
  if (type == dtype()) return *this;
  (void)visit_numeric(type, [](auto) { return 0; });
  Hasher h("astype");
  h.add(token()).add(static_cast<std::int64_t>(type));
  const std::string token = make_token("astype", h.value());
  std::vector<Task> tasks;
  const DType from = dtype();
  for_each_block(chunks(), [&](std::span<const std::int64_t> idx) {
    Task t;
    t.key = Key(token, idx);
    t.inputs = {block_key(idx)};
    t.nbytes =
        static_cast<std::uint64_t>(element_count(block_shape(chunks(), idx))) * element_size(type);
    t.fn = [from, type](std::span<const Value> in) {
      const Block& b = in[0].get<Block>();
      Block out = Block::allocate(type, b.shape);
      visit_numeric(from, [&](auto s) {
        using S = decltype(s);
        visit_numeric(type, [&](auto d) {
          using D = decltype(d);
          auto src = b.values<S>();
          auto dst = out.mutable_values<D>();
          for (std::size_t i = 0; i < src.size(); ++i) dst[i] = static_cast<D>(src[i]);
        });
      });
      return Value::of(std::move(out));
    };
    tasks.push_back(std::move(t));
  });
  return detail::make_array(type, shape(), chunks(), token, Graph(std::move(tasks), {&graph()}),
                            finally());
}

}  // namespace pando
