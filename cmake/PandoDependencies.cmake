# Every third-party dependency, found once, as imported targets. All come from Debian's
# packages (cmake/packages.txt); `make deps` installs them.

set(MPI_CXX_SKIP_MPICXX ON)
find_package(MPI REQUIRED COMPONENTS C CXX)

set(HDF5_PREFER_PARALLEL TRUE)
find_package(HDF5 REQUIRED COMPONENTS C)
if(NOT HDF5_IS_PARALLEL)
  message(FATAL_ERROR
    "Pando needs the parallel (MPI) build of HDF5, but the HDF5 found is serial "
    "(${HDF5_C_INCLUDE_DIRS}). On Debian: apt-get install libhdf5-openmpi-dev, and make sure "
    "no serial h5cc comes first on PATH.")
endif()

find_package(Boost 1.74 REQUIRED COMPONENTS serialization)
find_package(Eigen3 3.4 REQUIRED NO_MODULE)
find_package(fmt REQUIRED)
find_package(FastFloat REQUIRED)
find_package(ZLIB REQUIRED)
find_package(Threads REQUIRED)
find_package(CURL REQUIRED)  # S3 (io/http.cpp)
# Google Benchmark is found by the code that first uses it (bench/), so a site building Pando
# does not need it.

# OpenBLAS is optional: when present Eigen hands its large products to it.
set(BLA_VENDOR OpenBLAS)
find_package(BLAS QUIET)
set(PANDO_HAVE_BLAS ${BLAS_FOUND})

if(PANDO_BUILD_APPS OR PANDO_BUILD_BENCH OR PANDO_BUILD_TESTS)  # the tests build docs/examples
  find_package(CLI11 REQUIRED)
endif()
if(PANDO_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()
