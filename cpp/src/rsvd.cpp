#include <netscope/parallel.hpp>
#include <netscope/random.hpp>
#include <netscope/rsvd.hpp>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace netscope {
namespace {

struct KrylovShape {
  Index block;  // columns per Krylov block
  Index depth;  // power steps actually taken
  Index basis() const { return block * (depth + 1); }
};

// The block (at most `rank_limit` columns) and the requested depth. A basis of `rank_limit` or more
// columns spans the whole space: the callers then solve densely, exact at the same O(.) cost. (Clamping
// the depth instead left a basis of one or two blocks, a few per cent off on small matrices.)
KrylovShape krylov_shape(Index k, Index rank_limit, const KrylovOptions& options,
                         Index default_depth) {
  if (k < 1 || k > rank_limit) {
    throw std::invalid_argument("k must be in [1, " + std::to_string(rank_limit) + "], got " +
                                std::to_string(k));
  }
  if (options.oversamples < 0) throw std::invalid_argument("n_oversamples must be >= 0");
  if (options.depth < -1) throw std::invalid_argument("n_power_iter must be >= 0");
  KrylovShape shape{std::min(k + options.oversamples, rank_limit),
                    options.depth < 0 ? default_depth : options.depth};
  return shape;
}

// Appends `block` to the orthonormal columns basis[:, :used], orthogonalised against them by two
// rounds of block Gram-Schmidt with a QR after each ("twice is enough"): the second round removes
// what rounding left of the old directions even when the block had little new in it.
template <class T>
void append_to_basis(Matrix<T>& basis, Index used, Matrix<T>& block) {
  const Index rows = basis.rows(), b = block.cols();
  Matrix<T> overlap(used, b);
  for (int round = 0; round < 2; ++round) {
    if (used > 0) {
      gemm<T>(Op::Transpose, Op::None, used, b, rows, T(1), basis.data(), rows, block.data(), rows,
              T(0), overlap.data(), used);
      gemm<T>(Op::None, Op::None, rows, b, used, T(-1), basis.data(), rows, overlap.data(), used,
              T(1), block.data(), rows);
    }
    orthonormalize_columns(block);
  }
  basis.middleCols(used, b) = block;
}

}  // namespace

template <class T>
SvdResult<T> randomized_svd(const T* a, Index m, Index n, Index k, const KrylovOptions& options) {
  const KrylovShape shape = krylov_shape(k, std::min(m, n), options, kDefaultSvdDepth);
  if (shape.basis() >= std::min(m, n)) {
    Matrix<T> dense = Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(a, m, n);
    Matrix<T> u, vt;
    Vector<T> s;
    thin_svd(dense, u, s, vt);
    return SvdResult<T>{u.leftCols(k), s.head(k), vt.topRows(k)};
  }
  const Index b = shape.block, basis_size = shape.basis();
  // Row-major A (m, n) is the column-major matrix At (n, m): A x = At^T x, A^T y = At y.
  // The left basis K = [Y_0 .. Y_q] spans {A W, (A A^T) A W, ..., (A A^T)^q A W}. Each new block is
  // orthogonalised against all earlier ones, so K is orthonormal as it grows and the products
  // A^T Y_i, computed anyway to take the next step, are exactly the columns of A^T K: the final
  // projection costs no extra pass over A.
  Matrix<T> basis(m, basis_size);
  Matrix<T> projected_t(n, basis_size);  // A^T K
  Matrix<T> left(m, b);
  Matrix<T> right = gaussian_matrix<T>(n, b, options.seed);
  for (Index step = 0; step <= shape.depth; ++step) {
    gemm<T>(Op::Transpose, Op::None, m, b, n, T(1), a, n, right.data(), n, T(0), left.data(), m);
    append_to_basis(basis, step * b, left);
    T* products = projected_t.col(step * b).data();
    gemm<T>(Op::None, Op::None, n, b, m, T(1), a, n, left.data(), m, T(0), products, n);
    if (step < shape.depth) {
      right = projected_t.middleCols(step * b, b);
      orthonormalize_columns(right);
    }
  }

  // Rayleigh-Ritz: the SVD of the projection B = K^T A (L, n) gives the singular triplets.
  // B^T = Q R by Householder QR, so B = R^T Q^T and the SVD of the small R^T (L, L) = W S Z^T
  // gives B = W S (Q Z)^T. Cheaper than LAPACK's SVD of the wide B, and as stable.
  Matrix<T> r;
  orthonormalize_columns(projected_t, &r);
  Matrix<T> r_t = r.transpose();
  Matrix<T> small_u, small_vt;
  Vector<T> s;
  thin_svd(r_t, small_u, s, small_vt);

  SvdResult<T> result;
  result.u.resize(m, k);
  gemm<T>(Op::None, Op::None, m, k, basis_size, T(1), basis.data(), m, small_u.data(), basis_size,
          T(0), result.u.data(), m);
  result.s = s.head(k);
  result.vt.resize(k, n);
  gemm<T>(Op::None, Op::Transpose, k, n, basis_size, T(1), small_vt.data(), basis_size,
          projected_t.data(), n, T(0), result.vt.data(), k);
  return result;
}

template <class T>
EigenResult<T> eigh_top(const T* c, Index n, Index k, const KrylovOptions& options) {
  const KrylovShape shape = krylov_shape(k, n, options, kDefaultEigenDepth);
  EigenResult<T> result;
  if (shape.basis() >= n) {
    Matrix<T> dense = Eigen::Map<const Matrix<T>>(c, n, n);
    symmetric_eigen_top(dense, k, result.values, result.vectors);
    return result;
  }
  const Index b = shape.block, basis_size = shape.basis();
  // K = [Q_0 .. Q_q] spans {W, C W, ..., C^q W}, orthonormal as it grows (block Lanczos with full
  // reorthogonalisation). C is symmetric, so its row-major storage is also its column-major one.
  // The products C Q_i that take each step are kept: together they are C K, so the Rayleigh-Ritz
  // matrix K^T C K costs no extra pass over C.
  Matrix<T> basis(n, basis_size);
  Matrix<T> c_basis(n, basis_size);
  Matrix<T> block = gaussian_matrix<T>(n, b, options.seed);
  for (Index step = 0; step <= shape.depth; ++step) {
    append_to_basis(basis, step * b, block);
    T* products = c_basis.col(step * b).data();
    gemm<T>(Op::None, Op::None, n, b, n, T(1), c, n, block.data(), n, T(0), products, n);
    if (step < shape.depth) block = c_basis.middleCols(step * b, b);
  }

  Matrix<T> projected(basis_size, basis_size);
  gemm<T>(Op::Transpose, Op::None, basis_size, basis_size, n, T(1), basis.data(), n,
          c_basis.data(), n, T(0), projected.data(), basis_size);
  Matrix<T> small_vectors;
  symmetric_eigen_top(projected, k, result.values, small_vectors);
  result.vectors.resize(n, k);
  gemm<T>(Op::None, Op::None, n, k, basis_size, T(1), basis.data(), n, small_vectors.data(),
          basis_size, T(0), result.vectors.data(), n);
  return result;
}

template <class T>
double relative_asymmetry(const T* c, Index n) {
  double largest_entry = 0.0, largest_gap = 0.0;
  std::mutex combine;
  parallel_for(0, n, 16, [&](Index first, Index last) {
    double entry = 0.0, gap = 0.0;
    for (Index i = first; i < last; ++i) {
      for (Index j = 0; j <= i; ++j) {
        const double lower = static_cast<double>(c[i * n + j]);
        const double upper = static_cast<double>(c[j * n + i]);
        entry = std::max(entry, std::abs(lower));
        gap = std::max(gap, std::abs(lower - upper));
      }
    }
    std::lock_guard<std::mutex> lock(combine);
    largest_entry = std::max(largest_entry, entry);
    largest_gap = std::max(largest_gap, gap);
  });
  return largest_entry > 0.0 ? largest_gap / largest_entry : 0.0;
}

template SvdResult<float> randomized_svd<float>(const float*, Index, Index, Index,
                                                const KrylovOptions&);
template SvdResult<double> randomized_svd<double>(const double*, Index, Index, Index,
                                                  const KrylovOptions&);
template EigenResult<float> eigh_top<float>(const float*, Index, Index, const KrylovOptions&);
template EigenResult<double> eigh_top<double>(const double*, Index, Index, const KrylovOptions&);
template double relative_asymmetry<float>(const float*, Index);
template double relative_asymmetry<double>(const double*, Index);

}  // namespace netscope
