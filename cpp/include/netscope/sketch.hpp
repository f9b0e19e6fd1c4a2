// Single-pass, fixed-memory randomized sketch of a PSD matrix C = sum_j g_j g_j^T streamed as
// rows g_j: the Nystrom sketch Y = C W for a seeded Gaussian test matrix W (dim, s) of Tropp,
// Yurtsever, Udell & Cevher, "Fixed-rank approximation of a positive-semidefinite matrix from
// streaming data" (NeurIPS 2017). Only Y is stored: W is regenerated from the seed block by block
// of rows whenever it is needed, so memory is dim s numbers of the storage type plus O(block s)
// scratch, for a dim of millions. Mergeable and serialisable like GramAccumulator.
//
// Storage is float64 (NystromSketch) or float32 (NystromSketch32, half the memory). In float32,
// each chunk's products G W are summed across row blocks in float64 and Y gains them in float32;
// the eigenpairs are computed in float64 block by block, so only float32 rounding (of Y, and of
// the W the updates multiply by, each relative 6e-8 per entry) separates the two.
#pragma once

#include <netscope/linalg.hpp>

#include <cstdint>
#include <string>

namespace netscope {

template <class Scalar>
class BasicNystromSketch {
 public:
  BasicNystromSketch(Index dim, Index sketch_size, std::uint64_t seed);

  // Adds rows^T (rows W) for a row-major (n, dim) block. Throws std::invalid_argument, leaving
  // the sketch unchanged, when a row holds NaN or inf. O(n dim s) time (BLAS) plus regenerating
  // W, O(dim s); O(n s + block (n + s)) scratch.
  void update(const double* rows, Index n);
  void update(const float* rows, Index n);

  // Adds another sketch with the same dim, size and seed (so the same test matrix). O(dim s).
  void merge(const BasicNystromSketch& other);

  // Top-k eigenpairs of the approximation of C / count (Tropp et al., Algorithm 3, with the
  // stabilising shift nu = eps |Y|_F for W's scale), values descending, vectors (dim, k). The SVD of
  // Y_nu R^-1 goes through a blocked (TSQR) factorisation, so besides the result only
  // O(block s + dim/block s^2) scratch is used; the vectors come in the storage type. O(dim s^2).
  void eigenpairs(Index k, Vector<double>& values, Matrix<Scalar>& vectors) const;

  Index dim() const { return dim_; }
  Index sketch_size() const { return size_; }
  std::uint64_t seed() const { return seed_; }
  std::int64_t count() const { return count_; }
  // Y (dim, s).
  const Matrix<Scalar>& sketch() const { return sketch_; }
  // Replaces Y by `values` (dim s numbers laid out as sketch()) and the count by `count` in one
  // step, as GramAccumulator::replace_state. O(dim s).
  void replace_state(const Scalar* values, Index size, std::int64_t count);

  // Writes the state atomically in the format of state_file.hpp; W is not stored. O(dim s).
  void save(const std::string& path) const;
  // Reads a file written by save(); throws std::invalid_argument for a foreign, truncated or
  // corrupt file and std::runtime_error when it cannot be opened.
  static BasicNystromSketch load(const std::string& path);

 private:
  template <class T>
  void update_rows(const T* rows, Index n);
  Index row_blocks() const;
  // Calls body(block, first_row, rows) for the consecutive row blocks of W, each of at least s
  // rows, on the core's threads in parallel: bodies write disjoint rows or sum under a lock.
  template <class Body>
  void for_each_row_block(Body&& body) const;
  // Rows [first_row, first_row + rows) of Y + shift W, into `out` (rows, s); `test` is scratch.
  void shifted_rows(Index first_row, Index rows, double shift, Matrix<double>& test, Matrix<double>& out) const;

  Index dim_, size_;
  std::uint64_t seed_;
  std::int64_t count_ = 0;
  Matrix<Scalar> sketch_;  // Y = C W (dim, s)
};

using NystromSketch = BasicNystromSketch<double>;
using NystromSketch32 = BasicNystromSketch<float>;

}  // namespace netscope
