#include <netscope/gram.hpp>
#include <netscope/parallel.hpp>
#include <netscope/state_file.hpp>

#include <algorithm>
#include <stdexcept>
#include <vector>

namespace netscope {
namespace {

constexpr char kKind[5] = "GRAM";
// Version 2: the 48-byte StateHeader shared with NystromSketch.
constexpr std::uint32_t kFormatVersion = 2;
// float32 rows are widened to float64 this many at a time: enough for BLAS to run at full speed,
// small enough that the scratch stays far below the dim^2 of the sum itself.
constexpr Index kWidenRows = 512;

// Calls column(j) for every column j of a (dim, dim) lower triangle, in parallel; the columns
// shrink from dim to 1 entries, so they are handed out in small chunks to balance.
template <class Column>
void for_each_triangle_column(Index dim, Column&& column) {
  parallel_for(0, dim, 16, [&](Index first, Index last) {
    for (Index j = first; j < last; ++j) column(j);
  });
}

}  // namespace

GramAccumulator::GramAccumulator(Index dim, GramPrecision precision)
    : dim_(dim), precision_(precision) {
  if (dim < 1) throw std::invalid_argument("dim must be >= 1");
  sum_ = Matrix<double>::Zero(dim, dim);
}

void GramAccumulator::update(const double* rows, Index n) {
  require_finite_rows(rows, n, dim_, "accumulator");
  if (n == 0) return;
  // The row-major (n, dim) block is the column-major (dim, n) matrix A; the sum grows by A A^T.
  syrk_lower(Op::None, dim_, n, 1.0, rows, dim_, 1.0, sum_.data(), dim_);
  count_ += n;
}

void GramAccumulator::update(const float* rows, Index n) {
  require_finite_rows(rows, n, dim_, "accumulator");
  if (n == 0) return;
  if (precision_ == GramPrecision::Mixed) {
    if (chunk_product_.size() == 0) chunk_product_.resize(dim_, dim_);
    syrk_lower(Op::None, dim_, n, 1.0f, rows, dim_, 0.0f, chunk_product_.data(), dim_);
    for_each_triangle_column(dim_, [&](Index j) {
      sum_.col(j).tail(dim_ - j) += chunk_product_.col(j).tail(dim_ - j).cast<double>();
    });
  } else {
    const Index block = std::min(n, kWidenRows);
    Matrix<double> widened(dim_, block);
    for (Index start = 0; start < n; start += block) {
      const Index rows_here = std::min(block, n - start);
      widened.leftCols(rows_here) =
          Eigen::Map<const Matrix<float>>(rows + start * dim_, dim_, rows_here).cast<double>();
      syrk_lower(Op::None, dim_, rows_here, 1.0, widened.data(), dim_, 1.0, sum_.data(), dim_);
    }
  }
  count_ += n;
}

void GramAccumulator::merge(const GramAccumulator& other) {
  if (other.dim_ != dim_) {
    throw std::invalid_argument("other: cannot merge an accumulator of dim " +
                                std::to_string(other.dim_) + " into one of dim " +
                                std::to_string(dim_));
  }
  for_each_triangle_column(dim_, [&](Index j) {
    sum_.col(j).tail(dim_ - j) += other.sum_.col(j).tail(dim_ - j);
  });
  count_ += other.count_;
}

void GramAccumulator::replace_state(const double* values, Index size, std::int64_t count) {
  replace_matrix_state(sum_, count_, values, size, count);
}

Matrix<double> GramAccumulator::mean() const {
  if (count_ == 0) throw std::logic_error("the accumulator has seen no rows yet; call update first");
  Matrix<double> full(dim_, dim_);
  const double scale = 1.0 / static_cast<double>(count_);
  for_each_triangle_column(dim_, [&](Index j) {
    for (Index i = j; i < dim_; ++i) {
      const double value = sum_(i, j) * scale;
      full(i, j) = value;
      full(j, i) = value;
    }
  });
  return full;
}

void GramAccumulator::save(const std::string& path) const {
  StateHeader header = make_state_header(kKind, kFormatVersion, dim_, count_);
  header.options[0] = static_cast<std::uint64_t>(precision_);
  StateFileWriter file(path, header);
  for (Index j = 0; j < dim_; ++j) file.write(sum_.col(j).data() + j, dim_ - j);
  file.commit();
}

GramAccumulator GramAccumulator::load(const std::string& path) {
  StateFileReader file(path, kKind, kFormatVersion, "GramAccumulator");
  const StateHeader& header = file.header();
  if (header.dim > (1ULL << 24) || header.options[0] > 1 || header.options[1] != 0) file.corrupt_header();
  file.expect_payload(header.dim * (header.dim + 1) / 2);
  GramAccumulator result(static_cast<Index>(header.dim), static_cast<GramPrecision>(header.options[0]));
  result.count_ = header.count;
  for (Index j = 0; j < result.dim_; ++j) file.read(result.sum_.col(j).data() + j, result.dim_ - j);
  file.finish();
  return result;
}

}  // namespace netscope
