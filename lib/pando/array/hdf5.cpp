#include <pando/array/hdf5.hpp>

#include <pando/array/detail/node.hpp>
#include <pando/core/consensus.hpp>
#include <pando/graph/runtime.hpp>
#include <pando/io/h5_atomic.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <memory>

namespace pando {

namespace {

// An open file and dataset: the replicated value of the collective open task, used by the
// block tasks of its rank and closed by the collective close task.
struct OpenDataset {
  h5::File file;
  h5::Dataset dataset;
};

// A dataset being written: a new file, or a new dataset in an existing file.
struct NewDataset {
  std::unique_ptr<h5::AtomicFile> new_file;   // a new file...
  h5::File existing;                          // ...or an existing one,
  std::unique_ptr<h5::AtomicDataset> atomic;  // with the new dataset under a temporary link
  h5::Dataset direct;                         // the dataset of a new file
  h5::Dataset& dataset() { return atomic ? atomic->dataset() : direct; }
};

using ReadHandle = std::shared_ptr<OpenDataset>;
using WriteHandle = std::shared_ptr<NewDataset>;

const Comm& world() { return SessionBase::current().comm(); }

}  // namespace

Chunks aligned_chunks(std::span<const std::int64_t> shape, DType dtype,
                      std::span<const std::int64_t> stored, std::size_t target_bytes) {
  Shape block(shape.size());
  for (std::size_t a = 0; a < shape.size(); ++a)
    block[a] = std::clamp<std::int64_t>(a < stored.size() ? stored[a] : shape[a], 1,
                                        std::max<std::int64_t>(shape[a], 1));
  const auto item = std::max<std::size_t>(element_size(dtype), 1);
  // Grow the block by whole stored chunks, the axis farthest from spanning the array first.
  while (true) {
    std::size_t best = shape.size();
    double best_ratio = 2.0;
    for (std::size_t a = 0; a < shape.size(); ++a) {
      if (block[a] >= shape[a]) continue;
      double ratio = static_cast<double>(block[a]) / static_cast<double>(shape[a]);
      if (ratio < best_ratio) {
        best_ratio = ratio;
        best = a;
      }
    }
    if (best == shape.size()) break;
    Shape bigger = block;
    bigger[best] = std::min(shape[best], block[best] * 2);
    if (static_cast<std::size_t>(element_count(bigger)) * item > target_bytes) break;
    block = bigger;
  }
  return regular_chunks(shape, block);
}

AnyArray from_hdf5(const std::string& file, const std::string& dataset, const Hdf5Read& options) {
  const h5::DatasetInfo info = h5::inspect(world(), file, dataset);
  if (info.type == DType::string)
    throw TypeError(
        fmt::format("{} holds strings: arrays hold numbers and bools (a table's "
                    "string column reads with read_hdf5)",
                    info.where()));
  // An explicit type is plain (HDF5 converts); a narrow integer type is read into the type that
  // holds it, and remembered.
  const DType type = options.as.value_or(info.type);
  const NarrowInt narrow = options.as ? NarrowInt::none : info.narrow;
  if (!array_dtypes.contains(type)) refuse_array_dtype(type);
  // The dataset's own chunks, unless they are small (h5py's automatic ones): then whole
  // multiples of them, about 64 MiB a block.
  const bool small =
      !info.chunks.empty() &&
      static_cast<std::size_t>(element_count(info.chunks)) * element_size(type) < (1u << 20);
  Chunks chunks = options.chunks        ? options.chunks->resolve(info.shape, type)
                  : info.chunks.empty() ? auto_chunks(info.shape, type)
                  : small               ? aligned_chunks(info.shape, type, info.chunks)
                                        : regular_chunks(info.shape, info.chunks);
  Hasher h("read-hdf5");
  h.add(file).add(info.dataset).add(static_cast<std::int64_t>(type));
  for (const auto& c : chunks) h.add_all(c);
  // The file may change between two reads in one program: every read is its own.
  h.add(Runtime::current().next_sequence());
  const Key open(make_token("open-hdf5", h.value()));
  const Key close(make_token("close-hdf5", h.value()));
  const std::string token = make_token("read-hdf5", h.value());

  std::vector<Task> tasks;
  Task t;
  t.key = open;
  t.collective = collective_step([file, name = info.dataset](const CollectiveInputs& c) {
    auto handle = std::make_shared<OpenDataset>();
    handle->file = h5::File::open(c.comm, file);
    handle->dataset = handle->file.open_dataset(name);
    return Value::local(ReadHandle(handle));
  });
  tasks.push_back(std::move(t));
  for_each_block(chunks, [&](std::span<const std::int64_t> idx) {
    Task b;
    b.key = Key(token, idx);
    b.inputs = {open};
    Shape shape = block_shape(chunks, idx), offset = block_offset(chunks, idx);
    b.nbytes = static_cast<std::uint64_t>(element_count(shape)) * element_size(type);
    b.cost = static_cast<double>(b.nbytes) / 2e9;
    b.fn = [type, shape, offset](std::span<const Value> in) {
      const ReadHandle& handle = in[0].get<ReadHandle>();
      Block block = Block::allocate(type, shape);
      handle->dataset.read(block.data.mutable_data(), type, offset, shape,
                           h5::Transfer::independent);
      return Value::of(std::move(block));
    };
    tasks.push_back(std::move(b));
  });
  Task c;
  c.key = close;
  c.inputs = {open};
  c.collective = collective_step([](const CollectiveInputs& in) {
    // Every rank holds the open file: every rank closes it here, at the same point.
    const ReadHandle& handle = in.values[0].get<ReadHandle>();
    handle->dataset = h5::Dataset();
    handle->file.close();
    return Value::of(0);
  });
  tasks.push_back(std::move(c));
  return detail::make_array(type, info.shape, std::move(chunks), token, Graph(std::move(tasks)),
                            {close}, narrow)
      .with_attributes(info.attributes);
}

const h5::Attributes& AnyArray::attributes() const {
  static const h5::Attributes none;
  return node().attributes ? *node().attributes : none;
}

AnyArray AnyArray::with_attributes(h5::Attributes attributes) const {
  (void)token();  // a pending expression gets its tasks once, shared by both handles
  auto n = std::make_shared<detail::ArrayNode>(node());
  n->attributes =
      attributes.empty() ? nullptr : std::make_shared<const h5::Attributes>(std::move(attributes));
  return AnyArray(std::move(n));
}

void to_hdf5(const AnyArray& array, const std::string& file, const std::string& dataset,
             const Hdf5Write& options) {
  const Comm& comm = world();
  const std::string name = dataset.empty() || dataset[0] != '/' ? "/" + dataset : dataset;
  // Before anything runs: whether the file exists, and a clear error if the dataset does.
  const bool exists = on_root(comm, [&] {
    if (!std::filesystem::exists(file)) return false;
    if (!options.overwrite) {
      auto names = h5::list_datasets(file);
      if (std::find(names.begin(), names.end(), name) != names.end())
        throw IoError(
            fmt::format("{}:{} exists already (choose another name, or overwrite it)", file, name));
    }
    return true;
  });
  // The array's own attributes, and those given (which win where both name one).
  h5::Attributes attributes = array.attributes();
  attributes.merge(options.attributes);
  if (options.gzip_level < -1 || options.gzip_level > 9)
    throw UsageError(fmt::format("to_hdf5 {}:{}: gzip level {} is not 0-9 (or -1 for none)", file,
                                 name, options.gzip_level));
  if (options.chunks) {
    const Shape& c = *options.chunks;
    const bool positive = std::all_of(c.begin(), c.end(), [](auto v) { return v > 0; });
    if (c.size() != array.ndim() || !positive)
      throw ShapeError(fmt::format(
          "to_hdf5 {}:{}: dataset chunks {} do not fit an array of shape {} (one positive size "
          "per axis)",
          file, name, h5::format_shape(c), h5::format_shape(array.shape())));
  }
  Shape dchunks = options.chunks.value_or(block_shape(array.chunks(), Shape(array.ndim(), 0)));
  // HDF5 wants chunks of at least one element and no larger than a fixed-size dataset.
  for (std::size_t a = 0; a < dchunks.size(); ++a)
    dchunks[a] =
        std::clamp<std::int64_t>(dchunks[a], 1, std::max<std::int64_t>(array.shape()[a], 1));
  const DType type = array.dtype();
  const NarrowInt narrow = array.narrow();  // stored as it was read
  const Shape shape = array.shape();

  Hasher h("write-hdf5");
  h.add(file).add(name).add(array.token()).add(Runtime::current().next_sequence());
  const Key create(make_token("create-hdf5", h.value()));
  const Key commit(make_token("commit-hdf5", h.value()));
  const std::string stage_token = make_token("write-hdf5", h.value());

  std::vector<Task> tasks;
  Task t;
  t.key = create;
  t.collective = collective_step([=](const CollectiveInputs& c) {
    auto handle = std::make_shared<NewDataset>();
    h5::File* target;
    if (exists) {
      handle->existing = h5::File::open(c.comm, file, h5::Access::read_write);
      // Written whole: no fill pass at creation (a full extra write in parallel HDF5).
      handle->atomic = std::make_unique<h5::AtomicDataset>(
          handle->existing, name, type, shape, dchunks, options.gzip_level, options.overwrite,
          h5::Fill::none, narrow);
      target = &handle->existing;
    } else {
      handle->new_file = std::make_unique<h5::AtomicFile>(c.comm, file);
      handle->direct = handle->new_file->file().create_dataset(
          name, type, shape, dchunks, options.gzip_level, h5::Fill::none, narrow);
      target = &handle->new_file->file();
    }
    if (!attributes.empty())
      target->write_attributes(handle->atomic ? handle->atomic->temp_name() : name, attributes);
    return Value::local(WriteHandle(handle));
  });
  tasks.push_back(std::move(t));

  // Stages of a few blocks per rank, in block order: the blocks of one stage are written by
  // collective calls, each rank writing the hyperslabs of the blocks it holds.
  std::vector<Key> blocks;
  std::vector<Shape> offsets;
  for_each_block(array.chunks(), [&](std::span<const std::int64_t> idx) {
    blocks.push_back(array.block_key(idx));
    offsets.push_back(block_offset(array.chunks(), idx));
  });
  const std::size_t per_stage = 4 * static_cast<std::size_t>(comm.size());
  std::vector<Key> stages;
  for (std::size_t first = 0; first < blocks.size(); first += per_stage) {
    const std::size_t last = std::min(blocks.size(), first + per_stage);
    Task s;
    s.key = Key(stage_token, {static_cast<std::int64_t>(first / per_stage)});
    s.inputs = {create};
    s.inputs.insert(s.inputs.end(), blocks.begin() + static_cast<std::ptrdiff_t>(first),
                    blocks.begin() + static_cast<std::ptrdiff_t>(last));
    std::vector<Shape> at(offsets.begin() + static_cast<std::ptrdiff_t>(first),
                          offsets.begin() + static_cast<std::ptrdiff_t>(last));
    s.collective = collective_step([at, type](const CollectiveInputs& c) {
      WriteHandle handle;
      std::vector<const Block*> mine;
      std::vector<const Shape*> where;
      for (std::size_t k = 0; k < c.values.size(); ++k) {
        if (c.positions[k] == 0) {
          handle = c.values[k].get<WriteHandle>();
        } else {
          mine.push_back(&c.values[k].get<Block>());
          where.push_back(&at[c.positions[k] - 1]);
        }
      }
      // What fails on this rank alone (a block of another type, a failed write) is kept, and
      // this rank goes on making the same collective calls as the others (writing nothing);
      // all ranks learn it at the end.
      DeferredError local;
      local.run([&] {
        for (const Block* b : mine)
          if (b->dtype != type)
            throw TypeError(fmt::format("a block of type {} in an array of type {}",
                                        to_string(b->dtype), to_string(type)));
      });
      // A scalar (0-d) dataset has no empty selection to stand for "nothing" in a collective
      // call (its only selection is the element): the rank holding it writes it alone.
      if (at.size() == 1 && at[0].empty()) {
        if (!mine.empty() && !local.failed())
          local.run([&] {
            const Block b = mine[0]->dense();  // a strided view of host memory: copied
            handle->dataset().write(b.data.data(), type, *where[0], b.shape,
                                    h5::Transfer::independent);
          });
        local.agree(c.comm);
        return Value::of(0);
      }
      // Collective writes need the same number of calls on every rank.
      const int rounds = c.comm.allreduce(static_cast<int>(mine.size()), ReduceOp::max);
      const Shape none(at.empty() ? 0 : at[0].size(), 0);
      // Each round is one collective call on every rank: a collective transfer makes its call
      // even when it fails (io/h5.hpp).
      for (int r = 0; r < rounds; ++r) {
        const auto k = static_cast<std::size_t>(r);
        Block b;  // this round's block in row-major order (a strided view of host memory: copied)
        if (k < mine.size() && !local.failed()) local.run([&] { b = mine[k]->dense(); });
        const bool writes = k < mine.size() && !local.failed();
        local.run([&] {
          if (writes)
            handle->dataset().write(b.data.data(), type, *where[k], b.shape,
                                    h5::Transfer::collective);
          else
            handle->dataset().write(nullptr, type, none, none, h5::Transfer::collective);
        });
      }
      local.agree(c.comm);
      return Value::of(0);
    });
    stages.push_back(s.key);
    tasks.push_back(std::move(s));
  }

  // The commit comes last, after the array's inputs are closed: whatever fails before it (a
  // failed close of an input file too) leaves no dataset behind.
  Task done;
  done.key = commit;
  done.inputs = {create};
  done.inputs.insert(done.inputs.end(), stages.begin(), stages.end());
  for (const Key& k : array.finally()) done.inputs.push_back(k);
  done.collective = collective_step([](const CollectiveInputs& c) {
    for (std::size_t k = 0; k < c.values.size(); ++k) {
      if (c.positions[k] != 0) continue;
      const WriteHandle& handle = c.values[k].get<WriteHandle>();
      if (handle->atomic) {
        handle->atomic->commit();
        handle->existing.close();
      } else {
        handle->direct = h5::Dataset();
        handle->new_file->commit();
      }
    }
    return Value::of(0);
  });
  tasks.push_back(std::move(done));

  Graph graph(std::move(tasks), {&array.graph()});
  Runtime::current().compute(graph, {&commit, 1});
}

}  // namespace pando
