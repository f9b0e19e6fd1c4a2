#include <netscope/linalg.hpp>
#include <netscope/parallel.hpp>

#include <cblas.h>
#include <lapacke.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

namespace netscope {
namespace {

// LAPACK and this BLAS take 32-bit sizes.
blasint as_blas_int(Index value) {
  if (value < 0 || value > std::numeric_limits<blasint>::max()) {
    throw std::length_error("matrix dimension " + std::to_string(value) +
                            " exceeds the 32-bit range of the linked BLAS");
  }
  return static_cast<blasint>(value);
}

CBLAS_TRANSPOSE to_cblas(Op op) { return op == Op::Transpose ? CblasTrans : CblasNoTrans; }

void check_lapack(lapack_int info, const char* routine) {
  if (info != 0) {
    throw std::runtime_error(std::string("LAPACK ") + routine + " failed with info=" +
                             std::to_string(info));
  }
}

// Typed dispatch to the single- and double-precision LAPACK routines.
lapack_int geqrf(Index m, Index n, float* a, Index lda, float* tau) {
  return scipy_LAPACKE_sgeqrf(LAPACK_COL_MAJOR, as_blas_int(m), as_blas_int(n), a,
                              as_blas_int(lda), tau);
}
lapack_int geqrf(Index m, Index n, double* a, Index lda, double* tau) {
  return scipy_LAPACKE_dgeqrf(LAPACK_COL_MAJOR, as_blas_int(m), as_blas_int(n), a,
                              as_blas_int(lda), tau);
}
lapack_int orgqr(Index m, Index n, float* a, Index lda, const float* tau) {
  return scipy_LAPACKE_sorgqr(LAPACK_COL_MAJOR, as_blas_int(m), as_blas_int(n), as_blas_int(n),
                              a, as_blas_int(lda), tau);
}
lapack_int orgqr(Index m, Index n, double* a, Index lda, const double* tau) {
  return scipy_LAPACKE_dorgqr(LAPACK_COL_MAJOR, as_blas_int(m), as_blas_int(n), as_blas_int(n),
                              a, as_blas_int(lda), tau);
}
lapack_int gesdd(Index m, Index n, float* a, float* s, float* u, float* vt) {
  const Index r = std::min(m, n);
  return scipy_LAPACKE_sgesdd(LAPACK_COL_MAJOR, 'S', as_blas_int(m), as_blas_int(n), a,
                              as_blas_int(m), s, u, as_blas_int(m), vt, as_blas_int(r));
}
lapack_int gesdd(Index m, Index n, double* a, double* s, double* u, double* vt) {
  const Index r = std::min(m, n);
  return scipy_LAPACKE_dgesdd(LAPACK_COL_MAJOR, 'S', as_blas_int(m), as_blas_int(n), a,
                              as_blas_int(m), s, u, as_blas_int(m), vt, as_blas_int(r));
}
lapack_int syevd_values(Index n, float* a, float* w) {
  return scipy_LAPACKE_ssyevd(LAPACK_COL_MAJOR, 'N', 'L', as_blas_int(n), a, as_blas_int(n), w);
}
lapack_int syevd_values(Index n, double* a, double* w) {
  return scipy_LAPACKE_dsyevd(LAPACK_COL_MAJOR, 'N', 'L', as_blas_int(n), a, as_blas_int(n), w);
}
lapack_int syevr(Index n, float* a, Index il, Index iu, lapack_int* found, float* w, float* z,
                 lapack_int* support) {
  return scipy_LAPACKE_ssyevr(LAPACK_COL_MAJOR, 'V', 'I', 'L', as_blas_int(n), a, as_blas_int(n),
                              0.0f, 0.0f, as_blas_int(il), as_blas_int(iu), 0.0f, found, w, z,
                              as_blas_int(n), support);
}
lapack_int syevr(Index n, double* a, Index il, Index iu, lapack_int* found, double* w, double* z,
                 lapack_int* support) {
  return scipy_LAPACKE_dsyevr(LAPACK_COL_MAJOR, 'V', 'I', 'L', as_blas_int(n), a, as_blas_int(n),
                              0.0, 0.0, as_blas_int(il), as_blas_int(iu), 0.0, found, w, z,
                              as_blas_int(n), support);
}

}  // namespace

template <>
void gemm<float>(Op op_a, Op op_b, Index m, Index n, Index k, float alpha, const float* a,
                 Index lda, const float* b, Index ldb, float beta, float* c, Index ldc) {
  scipy_cblas_sgemm(CblasColMajor, to_cblas(op_a), to_cblas(op_b), as_blas_int(m),
                    as_blas_int(n), as_blas_int(k), alpha, a, as_blas_int(lda), b,
                    as_blas_int(ldb), beta, c, as_blas_int(ldc));
}
template <>
void gemm<double>(Op op_a, Op op_b, Index m, Index n, Index k, double alpha, const double* a,
                  Index lda, const double* b, Index ldb, double beta, double* c, Index ldc) {
  scipy_cblas_dgemm(CblasColMajor, to_cblas(op_a), to_cblas(op_b), as_blas_int(m),
                    as_blas_int(n), as_blas_int(k), alpha, a, as_blas_int(lda), b,
                    as_blas_int(ldb), beta, c, as_blas_int(ldc));
}

template <>
void syrk_lower<float>(Op op, Index n, Index k, float alpha, const float* a, Index lda,
                       float beta, float* c, Index ldc) {
  scipy_cblas_ssyrk(CblasColMajor, CblasLower, to_cblas(op), as_blas_int(n), as_blas_int(k),
                    alpha, a, as_blas_int(lda), beta, c, as_blas_int(ldc));
}
template <>
void syrk_lower<double>(Op op, Index n, Index k, double alpha, const double* a, Index lda,
                        double beta, double* c, Index ldc) {
  scipy_cblas_dsyrk(CblasColMajor, CblasLower, to_cblas(op), as_blas_int(n), as_blas_int(k),
                    alpha, a, as_blas_int(lda), beta, c, as_blas_int(ldc));
}

template <class T>
void orthonormalize_columns(Matrix<T>& y, Matrix<T>* r) {
  const Index m = y.rows(), b = y.cols();
  if (m < b) throw std::invalid_argument("orthonormalize_columns needs rows >= columns");
  if (b == 0) return;
  Vector<T> tau(b);
  check_lapack(geqrf(m, b, y.data(), m, tau.data()), "geqrf");
  if (r != nullptr) *r = y.topRows(b).template triangularView<Eigen::Upper>();
  check_lapack(orgqr(m, b, y.data(), m, tau.data()), "orgqr");
}

template <class T>
void thin_svd(Matrix<T>& a, Matrix<T>& u, Vector<T>& s, Matrix<T>& vt) {
  const Index m = a.rows(), n = a.cols(), r = std::min(m, n);
  u.resize(m, r);
  s.resize(r);
  vt.resize(r, n);
  check_lapack(gesdd(m, n, a.data(), s.data(), u.data(), vt.data()), "gesdd");
}

template <class T>
void symmetric_eigen_top(Matrix<T>& a, Index top_k, Vector<T>& values, Matrix<T>& vectors) {
  const Index n = a.rows();
  if (a.cols() != n) throw std::invalid_argument("symmetric_eigen_top needs a square matrix");
  if (top_k < 1 || top_k > n) throw std::invalid_argument("top_k must be in [1, n]");
  Vector<T> ascending(n);
  Matrix<T> z(n, top_k);
  std::vector<lapack_int> support(static_cast<std::size_t>(2 * top_k));
  lapack_int found = 0;
  // LAPACK numbers eigenvalues in ascending order from 1: the top k are n-k+1 .. n.
  check_lapack(syevr(n, a.data(), n - top_k + 1, n, &found, ascending.data(), z.data(),
                     support.data()),
               "syevr");
  values.resize(top_k);
  vectors.resize(n, top_k);
  for (Index i = 0; i < top_k; ++i) {
    values(i) = ascending(top_k - 1 - i);
    vectors.col(i) = z.col(top_k - 1 - i);
  }
}

bool cholesky_upper(Matrix<double>& a) {
  const Index n = a.rows();
  if (a.cols() != n) throw std::invalid_argument("cholesky_upper needs a square matrix");
  const lapack_int info = scipy_LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'U', as_blas_int(n), a.data(), as_blas_int(n));
  if (info > 0) return false;  // the leading minor of order info is not positive definite
  check_lapack(info, "potrf");
  for (Index j = 0; j < n; ++j) {
    for (Index i = j + 1; i < n; ++i) a(i, j) = 0.0;
  }
  return true;
}

void right_solve_upper(const Matrix<double>& r, Matrix<double>& b) {
  const Index n = r.rows();
  if (r.cols() != n || b.cols() != n) throw std::invalid_argument("right_solve_upper: shapes do not match");
  scipy_cblas_dtrsm(CblasColMajor, CblasRight, CblasUpper, CblasNoTrans, CblasNonUnit, as_blas_int(b.rows()),
                    as_blas_int(n), 1.0, r.data(), as_blas_int(n), b.data(), as_blas_int(b.rows()));
}

template <class T>
Vector<T> symmetric_eigenvalues(Matrix<T>& a) {
  const Index n = a.rows();
  if (a.cols() != n) throw std::invalid_argument("symmetric_eigenvalues needs a square matrix");
  Vector<T> ascending(n);
  check_lapack(syevd_values(n, a.data(), ascending.data()), "syevd");
  Vector<T> descending(n);
  for (Index i = 0; i < n; ++i) descending(i) = ascending(n - 1 - i);
  return descending;
}

template <class T>
Index first_nonfinite_row(const T* data, Index rows, Index cols) {
  std::atomic<Index> first{rows};
  const Index grain = std::max<Index>(1, (Index{1} << 16) / std::max<Index>(cols, 1));
  parallel_for(0, rows, grain, [&](Index begin, Index end) {
    for (Index i = begin; i < end && i < first.load(); ++i) {
      const T* row = data + i * cols;
      bool finite = true;
      for (Index j = 0; j < cols; ++j) finite &= std::isfinite(row[j]);
      if (!finite) {
        Index seen = first.load();
        while (i < seen && !first.compare_exchange_weak(seen, i)) {
        }
        return;
      }
    }
  });
  return first == rows ? Index{-1} : first.load();
}

template <class T>
void require_finite_rows(const T* rows, Index n, Index dim, const char* state) {
  if (n < 0) throw std::invalid_argument("update: negative number of rows");
  const Index bad = first_nonfinite_row(rows, n, dim);
  if (bad >= 0) {
    throw std::invalid_argument("row " + std::to_string(bad) + " holds NaN or inf; the " + state +
                                " was left unchanged");
  }
}

void set_blas_threads(int n) {
  if (n < 1) throw std::invalid_argument("the number of BLAS threads must be >= 1");
  scipy_openblas_set_num_threads(n);
}

int blas_threads() { return scipy_openblas_get_num_threads(); }

namespace {
std::mutex single_blas_mutex;
int single_blas_guards = 0;
int threads_before_guards = 1;
}  // namespace

SingleThreadedBlas::SingleThreadedBlas() {
  std::lock_guard<std::mutex> lock(single_blas_mutex);
  if (single_blas_guards++ == 0) {
    threads_before_guards = blas_threads();
    set_blas_threads(1);
  }
}

SingleThreadedBlas::~SingleThreadedBlas() {
  std::lock_guard<std::mutex> lock(single_blas_mutex);
  if (--single_blas_guards == 0) set_blas_threads(threads_before_guards);
}

template void orthonormalize_columns<float>(Matrix<float>&, Matrix<float>*);
template void orthonormalize_columns<double>(Matrix<double>&, Matrix<double>*);
template void thin_svd<float>(Matrix<float>&, Matrix<float>&, Vector<float>&, Matrix<float>&);
template void thin_svd<double>(Matrix<double>&, Matrix<double>&, Vector<double>&,
                               Matrix<double>&);
template void symmetric_eigen_top<float>(Matrix<float>&, Index, Vector<float>&, Matrix<float>&);
template void symmetric_eigen_top<double>(Matrix<double>&, Index, Vector<double>&,
                                          Matrix<double>&);
template Vector<float> symmetric_eigenvalues<float>(Matrix<float>&);
template Vector<double> symmetric_eigenvalues<double>(Matrix<double>&);
template Index first_nonfinite_row<float>(const float*, Index, Index);
template void require_finite_rows<float>(const float*, Index, Index, const char*);
template void require_finite_rows<double>(const double*, Index, Index, const char*);
template Index first_nonfinite_row<double>(const double*, Index, Index);

}  // namespace netscope
