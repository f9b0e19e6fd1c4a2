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

// Clamps the requested block and depth so that the basis never exceeds `rank_limit` columns.
KrylovShape krylov_shape(Index k, Index rank_limit, const KrylovOptions& options) {
  if (k < 1 || k > rank_limit) {
    throw std::invalid_argument("k must be in [1, " + std::to_string(rank_limit) + "], got " +
                                std::to_string(k));
  }
  if (options.oversamples < 0) throw std::invalid_argument("n_oversamples must be >= 0");
  if (options.depth < -1) throw std::invalid_argument("n_power_iter must be >= 0");
  KrylovShape shape{std::min(k + options.oversamples, rank_limit),
                    options.depth < 0 ? kDefaultKrylovDepth : options.depth};
  shape.depth = std::min(shape.depth, rank_limit / shape.block - 1);
  return shape;
}

}  // namespace

template <class T>
SvdResult<T> randomized_svd(const T* a, Index m, Index n, Index k, const KrylovOptions& options) {
  const KrylovShape shape = krylov_shape(k, std::min(m, n), options);
  const Index b = shape.block;
  // Row-major A (m, n) is the column-major matrix At (n, m): A x = At^T x, A^T y = At y.
  Matrix<T> basis(m, shape.basis());
  Matrix<T> left(m, b);
  Matrix<T> right = gaussian_matrix<T>(n, b, options.seed);
  for (Index step = 0; step <= shape.depth; ++step) {
    if (step > 0) {
      gemm<T>(Op::None, Op::None, n, b, m, T(1), a, n, left.data(), m, T(0), right.data(), n);
      orthonormalize_columns(right);
    }
    gemm<T>(Op::Transpose, Op::None, m, b, n, T(1), a, n, right.data(), n, T(0), left.data(), m);
    orthonormalize_columns(left);
    basis.middleCols(step * b, b) = left;
  }
  orthonormalize_columns(basis);

  // Rayleigh-Ritz: the SVD of the projection B = basis^T A (L, n) gives the singular triplets.
  // B^T = Q R by Householder QR, so B = R^T Q^T and the SVD of the small R^T (L, L) = W S Z^T
  // gives B = W S (Q Z)^T. Cheaper than LAPACK's SVD of the wide B, and as stable.
  const Index basis_size = basis.cols();
  Matrix<T> projected_t(n, basis_size), r;
  gemm<T>(Op::None, Op::None, n, basis_size, m, T(1), a, n, basis.data(), m, T(0),
          projected_t.data(), n);
  orthonormalize_columns(projected_t, &r);
  Matrix<T> r_t = r.transpose();
  Matrix<T> small_u, small_vt;
  Vector<T> s;
  thin_svd(r_t, small_u, s, small_vt);

  SvdResult<T> result;
  result.u.resize(m, k);
  gemm<T>(Op::None, Op::None, m, k, basis_size, T(1), basis.data(), m, small_u.data(), basis_size,
          T(0), result.u.data(), m);
  result.vt.resize(k, n);
  gemm<T>(Op::None, Op::Transpose, k, n, basis_size, T(1), small_vt.data(), basis_size,
          projected_t.data(), n, T(0), result.vt.data(), k);
  result.s = s.head(k);
  return result;
}

template <class T>
EigenResult<T> eigh_top(const T* c, Index n, Index k, const KrylovOptions& options) {
  const KrylovShape shape = krylov_shape(k, n, options);
  EigenResult<T> result;
  if (shape.basis() >= n) {
    Matrix<T> dense = Eigen::Map<const Matrix<T>>(c, n, n);
    symmetric_eigen_top(dense, k, result.values, result.vectors);
    return result;
  }
  const Index b = shape.block;
  // C is symmetric, so its row-major storage is also its column-major storage.
  Matrix<T> basis(n, shape.basis());
  Matrix<T> block = gaussian_matrix<T>(n, b, options.seed);
  Matrix<T> product(n, b);
  for (Index step = 0; step <= shape.depth; ++step) {
    gemm<T>(Op::None, Op::None, n, b, n, T(1), c, n, block.data(), n, T(0), product.data(), n);
    orthonormalize_columns(product);
    basis.middleCols(step * b, b) = product;
    block.swap(product);
  }
  orthonormalize_columns(basis);

  const Index basis_size = basis.cols();
  Matrix<T> c_basis(n, basis_size);
  gemm<T>(Op::None, Op::None, n, basis_size, n, T(1), c, n, basis.data(), n, T(0),
          c_basis.data(), n);
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
#pragma omp parallel for schedule(dynamic, 16) reduction(max : largest_entry, largest_gap)
  for (Index i = 0; i < n; ++i) {
    for (Index j = 0; j <= i; ++j) {
      const double upper = static_cast<double>(c[j * n + i]);
      const double lower = static_cast<double>(c[i * n + j]);
      largest_entry = std::max(largest_entry, std::abs(lower));
      largest_gap = std::max(largest_gap, std::abs(lower - upper));
    }
  }
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
