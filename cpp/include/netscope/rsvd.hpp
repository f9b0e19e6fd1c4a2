// Randomized low-rank decompositions: the top-k SVD of a dense matrix and the top-k eigenpairs of
// a symmetric positive semi-definite matrix, by randomized block Krylov iteration (Musco & Musco,
// NeurIPS 2015; Halko, Martinsson & Tropp, SIAM Review 2011): a Gaussian block of k + oversamples
// columns, `depth` power steps each re-orthonormalised by QR, every step's block kept in the
// Krylov basis, then Rayleigh-Ritz on that basis. For a given seed the result is deterministic.
#pragma once

#include <netscope/linalg.hpp>

#include <cstdint>

namespace netscope {

struct KrylovOptions {
  Index oversamples = 10;   // extra columns per block beyond k
  Index depth = -1;         // power steps whose blocks enter the basis; -1 picks default_depth
  std::uint64_t seed = 0;
};

// Power steps used when KrylovOptions::depth is -1. bench/bench_rsvd.py shows that three steps of
// block Krylov reach sklearn's accuracy with seven plain power steps to spare.
constexpr Index kDefaultKrylovDepth = 3;

template <class T>
struct SvdResult {
  Matrix<T> u;   // (m, k), orthonormal columns
  Vector<T> s;   // (k), descending
  Matrix<T> vt;  // (k, n), orthonormal rows
};

template <class T>
struct EigenResult {
  Vector<T> values;   // (k), descending
  Matrix<T> vectors;  // (n, k), orthonormal columns
};

// Top-k SVD of the row-major (m, n) matrix `a`, read in place. The block holds
// b = min(k + oversamples, min(m, n)) columns; the basis (depth + 1) b, capped at min(m, n).
// Time O(m n b (2 depth + 2) + (m + n) L^2) with L the basis size; memory O((m + n) L).
template <class T>
SvdResult<T> randomized_svd(const T* a, Index m, Index n, Index k, const KrylovOptions& options);

// Top-k eigenpairs of the symmetric PSD (n, n) matrix `c`, read in place. Time
// O(n^2 b (depth + 1) + n^2 L + n L^2); memory O(n L). When the basis would span the whole space
// it falls back to LAPACK's dense solver on a copy: O(n^3) time, O(n^2) memory.
template <class T>
EigenResult<T> eigh_top(const T* c, Index n, Index k, const KrylovOptions& options);

// Largest |c(i, j) - c(j, i)| relative to the largest |c(i, j)| of the row-major (n, n) `c`.
// O(n^2), both cores.
template <class T>
double relative_asymmetry(const T* c, Index n);

}  // namespace netscope
