// Randomized low-rank decompositions: the top-k SVD of a dense matrix and the top-k eigenpairs of
// a symmetric positive semi-definite matrix, by randomized block Krylov iteration (Musco & Musco,
// NeurIPS 2015; Halko, Martinsson & Tropp, SIAM Review 2011): a Gaussian block of k + oversamples
// columns, `depth` power steps, every step's block orthogonalised against all earlier ones and
// kept in the Krylov basis, then Rayleigh-Ritz on that basis. Deterministic for a given seed.
#pragma once

#include <netscope/linalg.hpp>

#include <cstdint>

namespace netscope {

struct KrylovOptions {
  Index oversamples = 10;   // extra columns per block beyond k
  Index depth = -1;         // power steps whose blocks enter the basis; -1: the default below
  std::uint64_t seed = 0;
};

// Depths used when KrylovOptions::depth is -1, chosen in bench/: randomized_svd's basis has
// polynomial degree 2 depth + 1 in A, so three steps reach 6e-6 on s_i = 1/i (sklearn's default:
// 6e-3); eigh_top's has degree `depth` in C and takes six steps for comparable accuracy.
constexpr Index kDefaultSvdDepth = 3;
constexpr Index kDefaultEigenDepth = 6;

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
// b = min(k + oversamples, min(m, n)) columns; the basis L = (depth + 1) b. Time
// O(m n L 2 + (m + n) L^2): two passes over A per block; memory O((m + n) L). When L >= min(m, n)
// the basis would span the whole space: LAPACK's dense SVD of a copy instead, O(m n min(m, n)).
template <class T>
SvdResult<T> randomized_svd(const T* a, Index m, Index n, Index k, const KrylovOptions& options);

// Top-k eigenpairs of the symmetric PSD (n, n) matrix `c`, read in place. Time O(n^2 L + n L^2):
// one pass over C per block; memory O(n L). When the basis would span the whole space
// it falls back to LAPACK's dense solver on a copy: O(n^3) time, O(n^2) memory.
template <class T>
EigenResult<T> eigh_top(const T* c, Index n, Index k, const KrylovOptions& options);

// Largest |c(i, j) - c(j, i)| relative to the largest |c(i, j)| of the row-major (n, n) `c`.
// O(n^2), both cores.
template <class T>
double relative_asymmetry(const T* c, Index n);

}  // namespace netscope
