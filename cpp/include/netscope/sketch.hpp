// Single-pass, fixed-memory randomized sketch of a PSD matrix C = sum_j g_j g_j^T streamed as
// rows g_j: the Nystrom sketch Y = C W for a seeded Gaussian test matrix W (dim, s) of Tropp,
// Yurtsever, Udell & Cevher, "Fixed-rank approximation of a positive-semidefinite matrix from
// streaming data" (NeurIPS 2017). Memory O(dim s), never O(dim^2); mergeable like GramAccumulator.
#pragma once

#include <netscope/linalg.hpp>

#include <cstdint>

namespace netscope {

class NystromSketch {
 public:
  NystromSketch(Index dim, Index sketch_size, std::uint64_t seed);

  // Adds rows^T (rows W) for a row-major (n, dim) block. Throws std::invalid_argument, leaving
  // the sketch unchanged, when a row holds NaN or inf. O(n dim s) time, O(n s) scratch.
  void update(const double* rows, Index n);
  void update(const float* rows, Index n);

  // Adds another sketch with the same dim, size and seed (so the same test matrix). O(dim s).
  void merge(const NystromSketch& other);

  // Top-k eigenpairs of the approximation of C / count (Tropp et al., Algorithm 3, with the
  // stabilising shift nu = sqrt(dim) eps |Y|_F). Values descending. O(dim s^2).
  void eigenpairs(Index k, Vector<double>& values, Matrix<double>& vectors) const;

  Index dim() const { return dim_; }
  Index sketch_size() const { return size_; }
  std::uint64_t seed() const { return seed_; }
  std::int64_t count() const { return count_; }
  const Matrix<double>& sketch() const { return sketch_; }

 private:
  template <class T>
  void update_rows(const T* rows, Index n);

  Index dim_, size_;
  std::uint64_t seed_;
  std::int64_t count_ = 0;
  Matrix<double> test_;    // W (dim, s), regenerated from the seed
  Matrix<double> sketch_;  // Y = C W (dim, s)
};

}  // namespace netscope
