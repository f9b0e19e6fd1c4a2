#include <netscope/random.hpp>
#include <netscope/sketch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace netscope {

NystromSketch::NystromSketch(Index dim, Index sketch_size, std::uint64_t seed)
    : dim_(dim), size_(sketch_size), seed_(seed) {
  if (dim < 1) throw std::invalid_argument("dim must be >= 1");
  if (sketch_size < 1 || sketch_size > dim) {
    throw std::invalid_argument("sketch_size must be in [1, dim] = [1, " + std::to_string(dim) + "]");
  }
  test_ = gaussian_matrix<double>(dim, sketch_size, seed);
  sketch_ = Matrix<double>::Zero(dim, sketch_size);
}

template <class T>
void NystromSketch::update_rows(const T* rows, Index n) {
  if (n < 0) throw std::invalid_argument("update: negative number of rows");
  if (n == 0) return;
  const Index bad = first_nonfinite_row(rows, n, dim_);
  if (bad >= 0) {
    throw std::invalid_argument("G: row " + std::to_string(bad) + " holds NaN or inf; the sketch was left unchanged");
  }
  // Rows are widened to float64 so that the sums across chunks stay exact to double rounding.
  const Matrix<double> block = Eigen::Map<const Matrix<T>>(rows, dim_, n).template cast<double>();
  Matrix<double> projected(n, size_);  // G W
  gemm<double>(Op::Transpose, Op::None, n, size_, dim_, 1.0, block.data(), dim_, test_.data(), dim_, 0.0,
               projected.data(), n);
  gemm<double>(Op::None, Op::None, dim_, size_, n, 1.0, block.data(), dim_, projected.data(), n, 1.0,
               sketch_.data(), dim_);
  count_ += n;
}

void NystromSketch::update(const double* rows, Index n) { update_rows(rows, n); }
void NystromSketch::update(const float* rows, Index n) { update_rows(rows, n); }

void NystromSketch::merge(const NystromSketch& other) {
  if (other.dim_ != dim_ || other.size_ != size_ || other.seed_ != seed_) {
    throw std::invalid_argument("other: sketches merge only with the same dim, sketch_size and seed");
  }
  sketch_ += other.sketch_;
  count_ += other.count_;
}

void NystromSketch::eigenpairs(Index k, Vector<double>& values, Matrix<double>& vectors) const {
  if (count_ == 0) throw std::logic_error("the sketch has seen no rows yet; call update first");
  if (k < 1 || k > size_) throw std::invalid_argument("k must be in [1, sketch_size]");
  // Plain loops here: GCC 12 warns falsely on Eigen's AVX-512 reductions (-Wmaybe-uninitialized).
  const Index entries = dim_ * size_;
  double squares = 0.0;
  for (Index e = 0; e < entries; ++e) squares += sketch_.data()[e] * sketch_.data()[e];
  const double shift =
      std::sqrt(static_cast<double>(dim_)) * std::numeric_limits<double>::epsilon() * std::sqrt(squares);
  Matrix<double> shifted(dim_, size_);
  for (Index e = 0; e < entries; ++e) shifted.data()[e] = sketch_.data()[e] + shift * test_.data()[e];
  Matrix<double> core(size_, size_);
  gemm<double>(Op::Transpose, Op::None, size_, size_, dim_, 1.0, test_.data(), dim_, shifted.data(), dim_, 0.0,
               core.data(), size_);
  for (Index j = 0; j < size_; ++j) {
    for (Index i = j + 1; i < size_; ++i) core(i, j) = core(j, i) = 0.5 * (core(i, j) + core(j, i));
  }
  // W^T Y_nu = R^T R and E = Y_nu R^-1, so that E E^T = Y_nu (W^T Y_nu)^-1 Y_nu^T.
  Matrix<double> factor = shifted;
  cholesky_right_solve(core, factor);
  Matrix<double> u, vt;
  Vector<double> s;
  thin_svd(factor, u, s, vt);
  values.resize(k);
  const double scale = 1.0 / static_cast<double>(count_);
  for (Index i = 0; i < k; ++i) values(i) = std::max(0.0, s(i) * s(i) - shift) * scale;
  vectors = u.leftCols(k);
}

}  // namespace netscope
