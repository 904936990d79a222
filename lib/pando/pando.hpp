#pragma once
// Pando's public API in one include.

#include <pando/core/buffer.hpp>
#include <pando/core/clock.hpp>
#include <pando/core/comm.hpp>
#include <pando/core/consensus.hpp>
#include <pando/core/error.hpp>
#include <pando/core/log.hpp>
#include <pando/core/options.hpp>
#include <pando/core/serialize.hpp>
#include <pando/core/session.hpp>
#include <pando/expr/dtype.hpp>
#include <pando/expr/expr.hpp>
#include <pando/graph/delayed.hpp>
#include <pando/graph/dot.hpp>
#include <pando/graph/future.hpp>
#include <pando/graph/graph.hpp>
#include <pando/graph/runtime.hpp>
#include <pando/array/array.hpp>
#include <pando/array/creation.hpp>
#include <pando/array/elementwise.hpp>
#include <pando/array/hdf5.hpp>
#include <pando/io/atomic.hpp>
#include <pando/io/hdf5.hpp>
#include <pando/io/hdf5_atomic.hpp>
