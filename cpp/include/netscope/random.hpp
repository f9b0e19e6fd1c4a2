// Seeded standard-normal matrices, identical for a seed whatever the number of threads: every
// column draws from its own counter-based stream, so the columns can be filled in parallel.
#pragma once

#include <netscope/linalg.hpp>

#include <cstdint>

namespace netscope {

// splitmix64: a counter-based generator whose every output depends only on (seed, counter), so
// parallel loops draw the same numbers whatever the number of threads.
// Inline: the layouts call it once per random draw.
inline std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

// (rows, cols) matrix of independent N(0, 1) draws. O(rows cols), both cores.
template <class T>
Matrix<T> gaussian_matrix(Index rows, Index cols, std::uint64_t seed);

// Rows [first_row, first_row + rows) of gaussian_matrix(m, cols, seed) for any m beyond them,
// written column-major to `out` (leading dimension ld >= rows): a tall test matrix can be
// regenerated block by block instead of stored. O(rows cols), both cores.
template <class T>
void gaussian_rows(Index first_row, Index rows, Index cols, std::uint64_t seed, T* out, Index ld);

}  // namespace netscope
