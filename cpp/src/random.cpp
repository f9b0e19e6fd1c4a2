#include <netscope/parallel.hpp>
#include <netscope/random.hpp>

#include <cmath>

namespace netscope {
namespace {

// splitmix64: a counter-based generator whose every output depends only on (seed, counter).
std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

double open_unit_interval(std::uint64_t bits) {
  return (static_cast<double>(bits >> 11) + 0.5) * 0x1.0p-53;
}

}  // namespace

template <class T>
void gaussian_rows(Index first_row, Index rows, Index cols, std::uint64_t seed, T* out, Index ld) {
  const std::uint64_t stream_base = splitmix64(seed);
  const Index stop = first_row + rows;
  parallel_for(0, cols, 1, [&](Index first, Index last) {
    for (Index j = first; j < last; ++j) {
      // Column j's stream: entry i uses counter values base + i and, paired with it, its neighbour.
      const std::uint64_t base = splitmix64(stream_base ^ static_cast<std::uint64_t>(j));
      T* column = out + j * ld;
      // Box-Muller: rows 2p and 2p + 1 are the two normals of one pair of uniforms.
      for (Index i = first_row - first_row % 2; i < stop; i += 2) {
        const std::uint64_t counter = base + static_cast<std::uint64_t>(i);
        const double u1 = open_unit_interval(splitmix64(counter));
        const double u2 = open_unit_interval(splitmix64(counter + 1));
        const double radius = std::sqrt(-2.0 * std::log(u1));
        const double angle = 6.283185307179586 * u2;
        if (i >= first_row) column[i - first_row] = static_cast<T>(radius * std::cos(angle));
        if (i + 1 < stop) column[i + 1 - first_row] = static_cast<T>(radius * std::sin(angle));
      }
    }
  });
}

template <class T>
Matrix<T> gaussian_matrix(Index rows, Index cols, std::uint64_t seed) {
  Matrix<T> out(rows, cols);
  gaussian_rows(0, rows, cols, seed, out.data(), rows);
  return out;
}

template Matrix<float> gaussian_matrix<float>(Index, Index, std::uint64_t);
template Matrix<double> gaussian_matrix<double>(Index, Index, std::uint64_t);
template void gaussian_rows<double>(Index, Index, Index, std::uint64_t, double*, Index);

}  // namespace netscope
