// Seeded standard-normal matrices, identical for a seed whatever the number of threads: every
// column draws from its own counter-based stream, so the columns can be filled in parallel.
#pragma once

#include <netscope/linalg.hpp>

#include <cstdint>

namespace netscope {

// (rows, cols) matrix of independent N(0, 1) draws. O(rows cols), both cores.
template <class T>
Matrix<T> gaussian_matrix(Index rows, Index cols, std::uint64_t seed);

// Rows [first_row, first_row + rows) of gaussian_matrix(m, cols, seed) for any m beyond them,
// written column-major to `out` (leading dimension ld >= rows): a tall test matrix can be
// regenerated block by block instead of stored. O(rows cols), both cores.
template <class T>
void gaussian_rows(Index first_row, Index rows, Index cols, std::uint64_t seed, T* out, Index ld);

}  // namespace netscope
