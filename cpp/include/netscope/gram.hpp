// Streaming accumulator of gradient outer products: C = sum_j g_j g_j^T over every row g_j that
// update() has seen, kept as the lower triangle of a float64 (dim, dim) matrix. Memory O(dim^2)
// whatever the number of rows; partial accumulators merge exactly and serialise bit for bit.
#pragma once

#include <netscope/linalg.hpp>

#include <cstdint>
#include <string>

namespace netscope {

enum class GramPrecision : std::uint8_t {
  // Every product in float64 (float32 rows are widened block by block first).
  Float64 = 0,
  // float32 rows: products of one chunk in float32 (about twice the speed), sums across chunks in
  // float64. The relative error per chunk is that of a float32 dot product of the chunk's length.
  Mixed = 1,
};

class GramAccumulator {
 public:
  explicit GramAccumulator(Index dim, GramPrecision precision = GramPrecision::Float64);

  // Adds rows^T rows for a row-major (n, dim) block. Throws std::invalid_argument, leaving the
  // sum unchanged, when a row holds NaN or inf. O(n dim^2) time, O(min(n, 512) dim) scratch for
  // float32 rows (O(dim^2) in mixed precision).
  void update(const double* rows, Index n);
  void update(const float* rows, Index n);

  // Adds another accumulator of the same dim. O(dim^2).
  void merge(const GramAccumulator& other);

  Index dim() const { return dim_; }
  std::int64_t count() const { return count_; }
  GramPrecision precision() const { return precision_; }

  // The running sum; only its lower triangle is meaningful (the upper one stays zero).
  const Matrix<double>& lower_sum() const { return sum_; }
  // Replaces the sum by `values` (dim^2 numbers laid out as lower_sum()) and the count by `count`
  // in one step, e.g. with the totals of a reduction across processes: the two cannot fall out of
  // step. Throws std::invalid_argument for a wrong size, a negative count or a NaN/inf value. O(dim^2).
  void replace_state(const double* values, Index size, std::int64_t count);

  // The full symmetric (1 / count) * sum. O(dim^2). Throws std::logic_error when count is 0.
  Matrix<double> mean() const;

  // Writes the state to `path` atomically (a temporary file in the same folder, then a rename),
  // in a versioned little-endian format with a checksum. O(dim^2).
  void save(const std::string& path) const;
  // Reads a file written by save(); throws std::invalid_argument for a foreign, truncated or
  // corrupt file and std::runtime_error when it cannot be opened.
  static GramAccumulator load(const std::string& path);

 private:
  Index dim_;
  GramPrecision precision_;
  std::int64_t count_ = 0;
  Matrix<double> sum_;
  Matrix<float> chunk_product_;  // mixed precision only: one chunk's float32 product
};

}  // namespace netscope
