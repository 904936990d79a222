#pragma once
// DataFrames as HDF5 tables (docs/architecture.md §7.2): a group holding one 1-D dataset per
// column, all of one length, which h5py and pandas read directly.
//
//   df.to_hdf5("out.h5", "/sales");                 // collective, atomic
//   auto back = pando::read_hdf5("out.h5", "/sales");
//
// The layout, per column of a table of N rows:
//   GROUP/COLUMN        N values: int64, int32, float64, float32, bool (h5py's enum), timestamp
//                       as int64 nanoseconds since 1970 (attribute pando_dtype = "timestamp"),
//                       strings as fixed-length UTF-8 at the column's widest value, NUL-padded
//                       (parallel HDF5 1.10 cannot write variable-length data); a null's slot
//                       holds 0, "" or, for floats, NaN. Attribute pando_column: its position.
//   GROUP/_valid/COLUMN N bools, false where the column is null; only for columns with a null.
// read_hdf5 also reads groups that h5py wrote: 1-D datasets of one length (columns in name order
// without pando_column), strings fixed- or variable-length.

#include <pando/frame/dataframe.hpp>

#include <cstdint>
#include <string>

namespace pando {

// Collective. The table in `group` of `file` as a lazy frame of partitions of about `blocksize`
// bytes, each read by its own task. IoError naming the file and group when it is no table:
// no such group, no columns, columns of different lengths or dimensions, types Pando does not
// hold.
DataFrame read_hdf5(const std::string& file, const std::string& group,
                    std::int64_t blocksize = std::int64_t{64} << 20);

}  // namespace pando
