#include <netscope/parallel.hpp>
#include <netscope/random.hpp>
#include <netscope/sketch.hpp>
#include <netscope/state_file.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <vector>

namespace netscope {
namespace {

// One kind per storage type, so that a file is never read into a sketch of the other type.
template <class Scalar>
constexpr const char (&kind_of())[5] {
  if constexpr (std::is_same_v<Scalar, double>) {
    return "NYST";
  } else {
    return "NYSF";
  }
}
constexpr std::uint32_t kFormatVersion = 1;
// Rows of W regenerated at a time: large enough for BLAS and the generator to run at full speed,
// small enough that the scratch (rows x s) stays far below the sketch itself and that a block's
// QR panels stay in cache (eigenpairs of dim 10^6, s = 80: 3.0 s at 8192 rows, 2.4 s at 4096).
constexpr Index kTestRows = 4096;

}  // namespace

template <class Scalar>
BasicNystromSketch<Scalar>::BasicNystromSketch(Index dim, Index sketch_size, std::uint64_t seed)
    : dim_(dim), size_(sketch_size), seed_(seed) {
  if (dim < 1) throw std::invalid_argument("dim must be >= 1");
  if (sketch_size < 1 || sketch_size > dim) {
    throw std::invalid_argument("sketch_size must be in [1, dim] = [1, " + std::to_string(dim) + "]");
  }
  sketch_ = Matrix<Scalar>::Zero(dim, sketch_size);
}

template <class Scalar>
Index BasicNystromSketch<Scalar>::row_blocks() const {
  // Blocks of at least max(kTestRows, s) rows (or one block of all dim >= s rows), so that each
  // can be QR-factorised on its own.
  return std::max<Index>(1, dim_ / std::max(kTestRows, size_));
}

template <class Scalar>
template <class Body>
void BasicNystromSketch<Scalar>::for_each_row_block(Body&& body) const {
  // The blocks are spread over the core's threads, each making its own single-threaded BLAS
  // calls: on blocks of a few thousand rows OpenBLAS's threads spend more time waiting on each
  // other than working (eigenpairs of dim 10^6, s = 80: 4.5 s with them, 2.4 s so).
  const Index blocks = row_blocks();
  std::optional<SingleThreadedBlas> single;  // only when several threads share the blocks
  if (blocks > 1 && core_threads() > 1) single.emplace();
  parallel_for(0, blocks, 1, [&](Index begin, Index end) {
    for (Index b = begin; b < end; ++b) {
      const Index first = b * dim_ / blocks;
      body(b, first, (b + 1) * dim_ / blocks - first);
    }
  });
}

template <class Scalar>
template <class T>
void BasicNystromSketch<Scalar>::update_rows(const T* rows, Index n) {
  require_finite_rows(rows, n, dim_, "sketch");
  if (n == 0) return;
  // `rows` is the column-major (dim, n) matrix G^T. A block of its rows is read in place when it
  // is of the storage type and converted to it (in `converted`) otherwise: float32 rows into a
  // float64 sketch stay exact to double rounding.
  auto rows_of_block = [&](Index first, Index count, Matrix<Scalar>& converted, Index& ld) -> const Scalar* {
    if constexpr (std::is_same_v<T, Scalar>) {
      ld = dim_;
      return rows + first;
    } else {
      converted = Eigen::Map<const Matrix<T>, 0, Eigen::OuterStride<>>(rows + first, count, n,
                                                                       Eigen::OuterStride<>(dim_))
                      .template cast<Scalar>();
      ld = count;
      return converted.data();
    }
  };
  // G W, summed over the row blocks in float64 whatever the storage: in float32 a sum over
  // millions of parameters would otherwise lose digits the sketch keeps.
  Matrix<double> projected = Matrix<double>::Zero(n, size_);
  std::mutex sum_mutex;
  for_each_row_block([&](Index, Index first, Index count) {
    Matrix<Scalar> test(count, size_), converted, block_product(n, size_);
    gaussian_rows(first, count, size_, seed_, test.data(), count);
    Index ld = 0;
    const Scalar* block = rows_of_block(first, count, converted, ld);
    gemm<Scalar>(Op::Transpose, Op::None, n, size_, count, Scalar(1), block, ld, test.data(), count, Scalar(0),
                 block_product.data(), n);
    std::lock_guard<std::mutex> lock(sum_mutex);
    projected += block_product.template cast<double>();
  });
  const Matrix<Scalar> product = projected.cast<Scalar>();
  for_each_row_block([&](Index, Index first, Index count) {
    Matrix<Scalar> converted;
    Index ld = 0;
    const Scalar* block = rows_of_block(first, count, converted, ld);
    gemm<Scalar>(Op::None, Op::None, count, size_, n, Scalar(1), block, ld, product.data(), n, Scalar(1),
                 sketch_.data() + first, dim_);
  });
  count_ += n;
}

template <class Scalar>
void BasicNystromSketch<Scalar>::update(const double* rows, Index n) {
  update_rows(rows, n);
}
template <class Scalar>
void BasicNystromSketch<Scalar>::update(const float* rows, Index n) {
  update_rows(rows, n);
}

template <class Scalar>
void BasicNystromSketch<Scalar>::merge(const BasicNystromSketch& other) {
  if (other.dim_ != dim_ || other.size_ != size_ || other.seed_ != seed_) {
    throw std::invalid_argument("other: sketches merge only with the same dim, sketch_size and seed");
  }
  sketch_ += other.sketch_;
  count_ += other.count_;
}

template <class Scalar>
void BasicNystromSketch<Scalar>::replace_state(const Scalar* values, Index size, std::int64_t count) {
  replace_matrix_state(sketch_, count_, values, size, count);
}

template <class Scalar>
void BasicNystromSketch<Scalar>::shifted_rows(Index first_row, Index rows, double shift, Matrix<double>& test,
                                 Matrix<double>& out) const {
  test.resize(rows, size_);
  gaussian_rows(first_row, rows, size_, seed_, test.data(), rows);
  out.resize(rows, size_);
  for (Index j = 0; j < size_; ++j) {
    const Scalar* y = sketch_.data() + j * dim_ + first_row;
    for (Index i = 0; i < rows; ++i) out(i, j) = y[i] + shift * test(i, j);
  }
}

template <class Scalar>
void BasicNystromSketch<Scalar>::eigenpairs(Index k, Vector<double>& values, Matrix<Scalar>& vectors) const {
  if (count_ == 0) throw std::logic_error("the sketch has seen no rows yet; call update first");
  if (k < 1 || k > size_) throw std::invalid_argument("k must be in [1, sketch_size]");
  // Plain loops here: GCC 12 warns falsely on Eigen's AVX-512 reductions (-Wmaybe-uninitialized).
  const Index entries = dim_ * size_;
  double squares = 0.0;
  for (Index e = 0; e < entries; ++e) squares += static_cast<double>(sketch_.data()[e]) * sketch_.data()[e];
  if (squares == 0.0) {  // every row seen was zero: C = 0, whose eigenvectors are any orthonormal set
    values = Vector<double>::Zero(k);
    vectors = Matrix<Scalar>::Identity(dim_, k);
    return;
  }
  // Tropp et al.'s shift nu = sqrt(dim) eps |Y|_F is for an orthonormal test matrix; W's columns
  // have norm about sqrt(dim), so the same relative shift here is eps |Y|_F. It is the float64
  // epsilon whatever the storage: the products below are float64, and a float32 epsilon would add
  // nu dim (0.1 |C| at dim 10^4, far more at 10^7) to the trace the approximation must spread.
  double shift = std::numeric_limits<double>::epsilon() * std::sqrt(squares);

  // W^T Y_nu = R^T R; then B = Y_nu R^-1 satisfies B B^T = Y_nu (W^T Y_nu)^-1 Y_nu^T. When C has
  // rank well below s, W^T Y_nu is singular to rounding at that shift (in float32 storage, to Y's
  // rounding) and Cholesky fails; a shift ten times larger is tried then, and the shift is taken
  // off the eigenvalues at the end as always. W^T Y_nu = W^T Y + nu W^T W: one pass gathers both
  // s x s products, and every try costs O(s^3), not another pass over Y.
  Matrix<double> factor;
  Matrix<double> test_times_sketch = Matrix<double>::Zero(size_, size_), test_gram = Matrix<double>::Zero(size_, size_);
  std::mutex sum_mutex;
  for_each_row_block([&](Index, Index first, Index count) {
    Matrix<double> test, block, cross = Matrix<double>::Zero(size_, size_), gram = Matrix<double>::Zero(size_, size_);
    shifted_rows(first, count, 0.0, test, block);
    gemm<double>(Op::Transpose, Op::None, size_, size_, count, 1.0, test.data(), count, block.data(), count, 0.0,
                 cross.data(), size_);
    syrk_lower<double>(Op::Transpose, size_, count, 1.0, test.data(), count, 0.0, gram.data(), size_);
    std::lock_guard<std::mutex> lock(sum_mutex);
    test_times_sketch += cross;
    test_gram += gram;
  });
  for (int attempt = 0;; ++attempt) {
    factor.resize(size_, size_);
    for (Index j = 0; j < size_; ++j) {  // the symmetric part, from test_gram's lower triangle
      for (Index i = 0; i < size_; ++i) {
        factor(i, j) = 0.5 * (test_times_sketch(i, j) + test_times_sketch(j, i)) +
                       shift * (i >= j ? test_gram(i, j) : test_gram(j, i));
      }
    }
    if (cholesky_upper(factor)) break;
    if (attempt == 12) throw std::runtime_error("eigenpairs: the sketch is numerically singular");
    shift *= 10.0;
  }

  // SVD of B without storing it: B = Q R_B by TSQR (the R of each row block, then of their
  // stack), R_B = U_r S V^T, so B's singular values are S and its left vectors B V S^-1.
  std::vector<Matrix<double>> block_factors(static_cast<std::size_t>(row_blocks()));
  for_each_row_block([&](Index b, Index first, Index count) {
    Matrix<double> test, block;
    shifted_rows(first, count, shift, test, block);
    right_solve_upper(factor, block);
    orthonormalize_columns(block, &block_factors[static_cast<std::size_t>(b)]);
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
  for_each_row_block([&](Index, Index first, Index count) {
    Matrix<double> test, block, rows_of_vectors(count, k);
    shifted_rows(first, count, shift, test, block);
    right_solve_upper(factor, block);
    gemm<double>(Op::None, Op::None, count, k, size_, 1.0, block.data(), count, to_vectors.data(), size_, 0.0,
                 rows_of_vectors.data(), count);
    vectors.middleRows(first, count) = rows_of_vectors.cast<Scalar>();
  });
  values.resize(k);
  const double scale = 1.0 / static_cast<double>(count_);
  for (Index i = 0; i < k; ++i) values(i) = std::max(0.0, singular(i) * singular(i) - shift) * scale;
}

template <class Scalar>
void BasicNystromSketch<Scalar>::save(const std::string& path) const {
  StateHeader header = make_state_header(kind_of<Scalar>(), kFormatVersion, dim_, count_);
  header.options[0] = static_cast<std::uint64_t>(size_);
  header.options[1] = seed_;
  StateFileWriter file(path, header);
  file.write(sketch_.data(), dim_ * size_);
  file.commit();
}

template <class Scalar>
BasicNystromSketch<Scalar> BasicNystromSketch<Scalar>::load(const std::string& path) {
  StateFileReader file(path, kind_of<Scalar>(), kFormatVersion,
                       std::is_same_v<Scalar, double> ? "NystromSketch" : "float32 NystromSketch");
  const StateHeader& header = file.header();
  if (header.dim > (1ULL << 40) || header.options[0] == 0 || header.options[0] > header.dim) file.corrupt_header();
  file.expect_payload(header.dim * header.options[0], sizeof(Scalar));
  BasicNystromSketch result(static_cast<Index>(header.dim), static_cast<Index>(header.options[0]), header.options[1]);
  result.count_ = header.count;
  file.read(result.sketch_.data(), result.dim_ * result.size_);
  file.finish();
  return result;
}

template class BasicNystromSketch<double>;
template class BasicNystromSketch<float>;

}  // namespace netscope
