// Seeded standard-normal matrices, identical for a seed whatever the number of threads: every
// column draws from its own counter-based stream, so the columns can be filled in parallel.
#pragma once

#include <netscope/linalg.hpp>

#include <cstdint>

namespace netscope {

// (rows, cols) matrix of independent N(0, 1) draws. O(rows cols), both cores.
template <class T>
Matrix<T> gaussian_matrix(Index rows, Index cols, std::uint64_t seed);

}  // namespace netscope
