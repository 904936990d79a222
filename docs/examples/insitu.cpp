// Pando in a simulation: a 2-D heat equation, explicit in time, on an MPI Cartesian grid of
// ranks (each holds a band of rows with one halo cell on every side and exchanges halos with
// its neighbours on its own communicator). Every --every steps it asks Pando for statistics of
// the field (mean, min, max, a histogram) through views of its own memory (no copy), and at the
// end writes the field with Pando's parallel HDF5 (readable with h5py).
//
//   mpirun -n 4 pando-example-insitu --rows 256 --cols 192 --steps 400 --every 100 --out heat.h5
//
// This is the README's "Pando in your simulation", compiled by the build and run by the tests.
#include <pando/pando.hpp>

#include <CLI/CLI.hpp>
#include <mpi.h>

#include <cstdio>
#include <string>
#include <vector>

namespace {

// This rank's rows of the grid, row-major with a halo cell on every side: (rows + 2) x (cols + 2).
struct Band {
  int first_row = 0, rows = 0, cols = 0;
  std::vector<double> cells;

  double& at(int i, int j) {  // i in [-1, rows], j in [-1, cols]
    return cells[static_cast<std::size_t>((i + 1) * (cols + 2) + (j + 1))];
  }
  // The interior, as Pando sees it: rows x cols elements, cols + 2 apart from row to row.
  [[nodiscard]] pando::Block view() const {
    return pando::Block::view(cells.data() + (cols + 2) + 1, {rows, cols}, {cols + 2, 1});
  }
};

Band make_band(MPI_Comm grid, int total_rows, int cols) {
  int rank = 0, size = 1;
  MPI_Comm_rank(grid, &rank);
  MPI_Comm_size(grid, &size);
  Band b;
  b.rows = total_rows / size + (rank < total_rows % size ? 1 : 0);
  b.first_row = rank * (total_rows / size) + std::min(rank, total_rows % size);
  b.cols = cols;
  b.cells.assign(static_cast<std::size_t>((b.rows + 2) * (cols + 2)), 0.0);
  // A hot square in the middle of a cold plate whose edges stay at 0.
  for (int i = 0; i < b.rows; ++i)
    for (int j = 0; j < cols; ++j) {
      const int gi = b.first_row + i;
      const bool hot =
          4 * gi >= total_rows && 4 * gi < 3 * total_rows && 4 * j >= cols && 4 * j < 3 * cols;
      b.at(i, j) = hot ? 1.0 : 0.0;
    }
  return b;
}

// The host's own MPI: halo rows to and from the neighbours above and below.
void exchange_halos(Band& b, MPI_Comm grid) {
  int up = MPI_PROC_NULL, down = MPI_PROC_NULL;
  MPI_Cart_shift(grid, 0, 1, &up, &down);
  const int n = b.cols + 2;
  MPI_Sendrecv(&b.at(0, -1), n, MPI_DOUBLE, up, 0, &b.at(b.rows, -1), n, MPI_DOUBLE, down, 0, grid,
               MPI_STATUS_IGNORE);
  MPI_Sendrecv(&b.at(b.rows - 1, -1), n, MPI_DOUBLE, down, 1, &b.at(-1, -1), n, MPI_DOUBLE, up, 1,
               grid, MPI_STATUS_IGNORE);
}

// One explicit step of u_t = alpha (u_xx + u_yy) on a unit grid (alpha <= 1/4 is stable).
void step(Band& b, std::vector<double>& next, double alpha) {
  next = b.cells;
  const int w = b.cols + 2;
  for (int i = 0; i < b.rows; ++i)
    for (int j = 0; j < b.cols; ++j) {
      const auto c = static_cast<std::size_t>((i + 1) * w + (j + 1));
      const double lap = b.cells[c - static_cast<std::size_t>(w)] +
                         b.cells[c + static_cast<std::size_t>(w)] + b.cells[c - 1] +
                         b.cells[c + 1] - 4.0 * b.cells[c];
      next[c] = b.cells[c] + alpha * lap;
    }
  b.cells.swap(next);
}

// Pando's part: statistics of the whole field from every rank's view of its band.
void report(const Band& b, int at_step, const std::vector<double>& edges) {
  auto u = pando::from_local(b.view());  // collective; reads the band in place
  std::vector<pando::AnyArray> asks = {u.mean(), u.min(), u.max()};
  for (double e : edges) asks.push_back((u < e).sum());  // cells below each edge
  auto r = pando::compute(asks);                         // one computation for all of them
  if (pando::Session::current().rank() != 0) return;
  std::printf("step %d: mean %.6f min %.6f max %.6f histogram", at_step, r[0].values<double>()[0],
              r[1].values<double>()[0], r[2].values<double>()[0]);
  for (std::size_t k = 4; k < r.size(); ++k)
    std::printf(" %lld", static_cast<long long>(r[k].values<std::int64_t>()[0] -
                                                r[k - 1].values<std::int64_t>()[0]));
  std::printf("\n");
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"A 2-D heat equation that asks Pando for statistics of its field as it runs"};
  int rows = 256, cols = 192, steps = 400, every = 100;
  double alpha = 0.2;
  std::string out = "heat.h5";
  app.add_option("--rows", rows, "rows of the grid")->check(CLI::PositiveNumber);
  app.add_option("--cols", cols, "columns of the grid")->check(CLI::PositiveNumber);
  app.add_option("--steps", steps, "time steps")->check(CLI::NonNegativeNumber);
  app.add_option("--every", every, "steps between statistics")->check(CLI::PositiveNumber);
  app.add_option("--alpha", alpha, "diffusion number (stable up to 0.25)")
      ->check(CLI::Range(0.0, 0.25));
  app.add_option("--out", out, "HDF5 file for the final field (dataset /temperature)");
  CLI11_PARSE(app, argc, argv);

  MPI_Init(&argc, &argv);  // the simulation owns MPI
  int size = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (size > rows) {
    std::fprintf(stderr, "pando-example-insitu: more ranks (%d) than rows (%d)\n", size, rows);
    MPI_Finalize();
    return 2;
  }
  MPI_Comm grid = MPI_COMM_NULL;  // its own communicator: a line of ranks, top to bottom
  const int dims[1] = {size}, periodic[1] = {0};
  MPI_Cart_create(MPI_COMM_WORLD, 1, dims, periodic, /*reorder=*/0, &grid);
  {
    pando::Session pando(MPI_COMM_WORLD);  // Pando on the world, beside the simulation's grid
    Band band = make_band(grid, rows, cols);
    std::vector<double> next, edges;
    for (int k = 0; k <= 8; ++k) edges.push_back(k / 8.0 + (k == 8 ? 1e-9 : 0.0));
    for (int s = 1; s <= steps; ++s) {
      exchange_halos(band, grid);
      step(band, next, alpha);
      if (s % every == 0) report(band, s, edges);
    }
    // The last field as a dataset of rows x cols, written by every rank in parallel, atomically.
    pando::to_hdf5(pando::from_local(band.view()), out, "/temperature");
    if (pando.rank() == 0)
      std::printf("wrote %s:/temperature (%d x %d)\n", out.c_str(), rows, cols);
  }  // the session ends here; MPI stays up for the simulation
  MPI_Comm_free(&grid);
  MPI_Finalize();
  return 0;
}
