#include <netscope/random.hpp>
#include <netscope/sketch.hpp>
#include <netscope/state_file.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <type_traits>
#include <vector>

namespace netscope {
namespace {

constexpr char kKind[5] = "NYST";
constexpr std::uint32_t kFormatVersion = 1;
// Rows of W regenerated at a time: large enough for BLAS and the generator to run at full speed,
// small enough that the scratch (rows x s) stays far below the sketch itself.
constexpr Index kTestRows = 8192;

}  // namespace

NystromSketch::NystromSketch(Index dim, Index sketch_size, std::uint64_t seed)
    : dim_(dim), size_(sketch_size), seed_(seed) {
  if (dim < 1) throw std::invalid_argument("dim must be >= 1");
  if (sketch_size < 1 || sketch_size > dim) {
    throw std::invalid_argument("sketch_size must be in [1, dim] = [1, " + std::to_string(dim) + "]");
  }
  sketch_ = Matrix<double>::Zero(dim, sketch_size);
}

template <class Body>
void NystromSketch::for_each_row_block(Body&& body) const {
  // Blocks of at least max(kTestRows, s) rows (or one block of all dim >= s rows), so that each
  // can be QR-factorised on its own.
  const Index blocks = std::max<Index>(1, dim_ / std::max(kTestRows, size_));
  for (Index b = 0; b < blocks; ++b) {
    const Index first = b * dim_ / blocks;
    body(first, (b + 1) * dim_ / blocks - first);
  }
}

template <class T>
void NystromSketch::update_rows(const T* rows, Index n) {
  require_finite_rows(rows, n, dim_, "sketch");
  if (n == 0) return;
  // `rows` is the column-major (dim, n) matrix G^T. A block of its rows is read in place when it
  // is float64 and widened to float64 otherwise, so that the sums stay exact to double rounding.
  Matrix<double> widened;
  auto rows_of_block = [&](Index first, Index count, Index& ld) -> const double* {
    if constexpr (std::is_same_v<T, double>) {
      ld = dim_;
      return rows + first;
    } else {
      widened = Eigen::Map<const Matrix<T>, 0, Eigen::OuterStride<>>(rows + first, count, n,
                                                                      Eigen::OuterStride<>(dim_))
                    .template cast<double>();
      ld = count;
      return widened.data();
    }
  };
  Matrix<double> projected = Matrix<double>::Zero(n, size_);  // G W
  Matrix<double> test;
  for_each_row_block([&](Index first, Index count) {
    test.resize(count, size_);
    gaussian_rows(first, count, size_, seed_, test.data(), count);
    Index ld = 0;
    const double* block = rows_of_block(first, count, ld);
    gemm<double>(Op::Transpose, Op::None, n, size_, count, 1.0, block, ld, test.data(), count, 1.0,
                 projected.data(), n);
  });
  for_each_row_block([&](Index first, Index count) {
    Index ld = 0;
    const double* block = rows_of_block(first, count, ld);
    gemm<double>(Op::None, Op::None, count, size_, n, 1.0, block, ld, projected.data(), n, 1.0,
                 sketch_.data() + first, dim_);
  });
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

void NystromSketch::replace_state(const double* values, Index size, std::int64_t count) {
  replace_matrix_state(sketch_, count_, values, size, count);
}

void NystromSketch::shifted_rows(Index first_row, Index rows, double shift, Matrix<double>& test,
                                 Matrix<double>& out) const {
  test.resize(rows, size_);
  gaussian_rows(first_row, rows, size_, seed_, test.data(), rows);
  out.resize(rows, size_);
  for (Index j = 0; j < size_; ++j) {
    const double* y = sketch_.data() + j * dim_ + first_row;
    for (Index i = 0; i < rows; ++i) out(i, j) = y[i] + shift * test(i, j);
  }
}

void NystromSketch::eigenpairs(Index k, Vector<double>& values, Matrix<double>& vectors) const {
  if (count_ == 0) throw std::logic_error("the sketch has seen no rows yet; call update first");
  if (k < 1 || k > size_) throw std::invalid_argument("k must be in [1, sketch_size]");
  // Plain loops here: GCC 12 warns falsely on Eigen's AVX-512 reductions (-Wmaybe-uninitialized).
  const Index entries = dim_ * size_;
  double squares = 0.0;
  for (Index e = 0; e < entries; ++e) squares += sketch_.data()[e] * sketch_.data()[e];
  if (squares == 0.0) {  // every row seen was zero: C = 0, whose eigenvectors are any orthonormal set
    values = Vector<double>::Zero(k);
    vectors = Matrix<double>::Identity(dim_, k);
    return;
  }
  double shift =
      std::sqrt(static_cast<double>(dim_)) * std::numeric_limits<double>::epsilon() * std::sqrt(squares);

  // W^T Y_nu = R^T R; then B = Y_nu R^-1 satisfies B B^T = Y_nu (W^T Y_nu)^-1 Y_nu^T. When C has
  // rank well below s, W^T Y_nu is singular to rounding at Tropp et al.'s shift and Cholesky
  // fails; a shift ten times larger is tried then (each try one more pass over Y, O(dim s^2)), and
  // the shift is taken off the eigenvalues at the end as always.
  Matrix<double> test, block, factor;
  for (int attempt = 0;; ++attempt) {
    factor = Matrix<double>::Zero(size_, size_);
    for_each_row_block([&](Index first, Index count) {
      shifted_rows(first, count, shift, test, block);
      gemm<double>(Op::Transpose, Op::None, size_, size_, count, 1.0, test.data(), count, block.data(), count,
                   1.0, factor.data(), size_);
    });
    for (Index j = 0; j < size_; ++j) {
      for (Index i = j + 1; i < size_; ++i) factor(i, j) = factor(j, i) = 0.5 * (factor(i, j) + factor(j, i));
    }
    if (cholesky_upper(factor)) break;
    if (attempt == 8) throw std::runtime_error("eigenpairs: the sketch is numerically singular");
    shift *= 10.0;
  }

  // SVD of B without storing it: B = Q R_B by TSQR (the R of each row block, then of their
  // stack), R_B = U_r S V^T, so B's singular values are S and its left vectors B V S^-1.
  std::vector<Matrix<double>> block_factors;
  for_each_row_block([&](Index first, Index count) {
    shifted_rows(first, count, shift, test, block);
    right_solve_upper(factor, block);
    block_factors.emplace_back();
    orthonormalize_columns(block, &block_factors.back());
  });
  Matrix<double> stacked(static_cast<Index>(block_factors.size()) * size_, size_);
  for (std::size_t b = 0; b < block_factors.size(); ++b) {
    stacked.middleRows(static_cast<Index>(b) * size_, size_) = block_factors[b];
  }
  Matrix<double> combined = stacked;
  if (block_factors.size() > 1) orthonormalize_columns(stacked, &combined);
  Matrix<double> u, vt;
  Vector<double> singular;
  thin_svd(combined, u, singular, vt);

  Matrix<double> to_vectors(size_, k);  // V_k S_k^-1
  for (Index i = 0; i < k; ++i) {
    const double inverse = singular(i) > 0.0 ? 1.0 / singular(i) : 0.0;
    for (Index j = 0; j < size_; ++j) to_vectors(j, i) = vt(i, j) * inverse;
  }
  vectors.resize(dim_, k);
  for_each_row_block([&](Index first, Index count) {
    shifted_rows(first, count, shift, test, block);
    right_solve_upper(factor, block);
    gemm<double>(Op::None, Op::None, count, k, size_, 1.0, block.data(), count, to_vectors.data(), size_, 0.0,
                 vectors.data() + first, dim_);
  });
  values.resize(k);
  const double scale = 1.0 / static_cast<double>(count_);
  for (Index i = 0; i < k; ++i) values(i) = std::max(0.0, singular(i) * singular(i) - shift) * scale;
}

void NystromSketch::save(const std::string& path) const {
  StateHeader header = make_state_header(kKind, kFormatVersion, dim_, count_);
  header.options[0] = static_cast<std::uint64_t>(size_);
  header.options[1] = seed_;
  StateFileWriter file(path, header);
  file.write(sketch_.data(), dim_ * size_);
  file.commit();
}

NystromSketch NystromSketch::load(const std::string& path) {
  StateFileReader file(path, kKind, kFormatVersion, "NystromSketch");
  const StateHeader& header = file.header();
  if (header.dim > (1ULL << 40) || header.options[0] == 0 || header.options[0] > header.dim) file.corrupt_header();
  file.expect_payload(header.dim * header.options[0]);
  NystromSketch result(static_cast<Index>(header.dim), static_cast<Index>(header.options[0]), header.options[1]);
  result.count_ = header.count;
  file.read(result.sketch_.data(), result.dim_ * result.size_);
  file.finish();
  return result;
}

}  // namespace netscope
