// Dense linear-algebra kernels of the core: thin, typed wrappers over the linked BLAS/LAPACK
// (scipy-openblas32) for the products and factorisations whose speed decides netscope's, plus the
// input checks every entry point shares. Column-major throughout, like BLAS; a row-major (n, d)
// numpy array is read in place as the column-major (d, n) matrix it already is.
#pragma once

#include <Eigen/Core>

#include <cstdint>

namespace netscope {

using Index = std::ptrdiff_t;
template <class T>
using Matrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;
template <class T>
using Vector = Eigen::Matrix<T, Eigen::Dynamic, 1>;

enum class Op : bool { None = false, Transpose = true };

// C = alpha * op(A) * op(B) + beta * C, with C (m, n) and op(A) (m, k). O(m n k).
template <class T>
void gemm(Op op_a, Op op_b, Index m, Index n, Index k, T alpha, const T* a, Index lda,
          const T* b, Index ldb, T beta, T* c, Index ldc);

// Lower triangle of C (n, n) = alpha * A * A^T + beta * C for A (n, k), or alpha * A^T * A + beta
// * C for A (k, n) when op is Transpose. The upper triangle is not touched. O(n^2 k).
template <class T>
void syrk_lower(Op op, Index n, Index k, T alpha, const T* a, Index lda, T beta, T* c, Index ldc);

// Replaces the columns of y (m, b), m >= b, by an orthonormal basis of their span: the thin Q of
// a Householder QR, y = Q R. When r is given it receives the upper-triangular R (b, b). O(m b^2).
template <class T>
void orthonormalize_columns(Matrix<T>& y, Matrix<T>* r = nullptr);

// Thin SVD a = u * diag(s) * vt of a (m, n); a is overwritten. s descending. O(m n min(m, n)).
template <class T>
void thin_svd(Matrix<T>& a, Matrix<T>& u, Vector<T>& s, Matrix<T>& vt);

// The top_k eigenpairs of the symmetric matrix whose lower triangle a holds (a is overwritten),
// eigenvalues descending, eigenvectors as the columns of `vectors`. O(n^3) (tridiagonalisation).
template <class T>
void symmetric_eigen_top(Matrix<T>& a, Index top_k, Vector<T>& values, Matrix<T>& vectors);

// Replaces `a` (n, n), symmetric positive definite, by the upper-triangular factor R of its
// Cholesky factorisation a = R^T R (the strict lower triangle is zeroed) and returns true; returns
// false, `a` partly overwritten, when `a` is not positive definite (to rounding). O(n^3).
bool cholesky_upper(Matrix<double>& a);

// Overwrites b (m, n) with b R^-1 for an upper-triangular r (n, n). O(m n^2).
void right_solve_upper(const Matrix<double>& r, Matrix<double>& b);

// Every eigenvalue of the symmetric matrix whose lower triangle a holds (a is overwritten),
// descending, without eigenvectors: about half the time of symmetric_eigen_top for all pairs.
// O(n^3).
template <class T>
Vector<T> symmetric_eigenvalues(Matrix<T>& a);

// Index of the first row of the row-major (rows, cols) array that holds a NaN or an infinity, or
// -1 when all are finite. O(rows cols), both cores.
template <class T>
Index first_nonfinite_row(const T* data, Index rows, Index cols);

// The check every streaming update makes before it touches its state: throws
// std::invalid_argument for a negative n, or naming the first row of the row-major (n, dim)
// block G that holds NaN or inf ("... the <state> was left unchanged"). O(n dim), both cores.
template <class T>
void require_finite_rows(const T* rows, Index n, Index dim, const char* state);

// Threads the linked OpenBLAS uses (the core's own loops: set_core_threads, parallel.hpp).
void set_blas_threads(int n);
int blas_threads();

// While any is alive, the linked BLAS runs on one thread; when the last one ends, the count from
// before the first is restored (guards on several threads nest by a count under a lock, so none
// restores too early). For loops that give each of the core's threads its own small BLAS calls,
// where OpenBLAS's own threads would only wait on each other. The count is process-wide.
class SingleThreadedBlas {
 public:
  SingleThreadedBlas();
  ~SingleThreadedBlas();
  SingleThreadedBlas(const SingleThreadedBlas&) = delete;
  SingleThreadedBlas& operator=(const SingleThreadedBlas&) = delete;
};

}  // namespace netscope
