#include <netscope/gram.hpp>
#include <netscope/parallel.hpp>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <vector>

namespace netscope {
namespace {

constexpr char kMagic[8] = {'N', 'E', 'T', 'S', 'C', 'O', 'P', 'E'};
constexpr char kKind[4] = {'G', 'R', 'A', 'M'};
constexpr std::uint32_t kFormatVersion = 1;
// float32 rows are widened to float64 this many at a time: enough for BLAS to run at full speed,
// small enough that the scratch stays far below the dim^2 of the sum itself.
constexpr Index kWidenRows = 512;

struct FileHeader {
  char magic[8];
  char kind[4];
  std::uint32_t version;
  std::uint64_t dim;
  std::int64_t count;
  std::uint8_t precision;
  std::uint8_t reserved[7];
};
static_assert(sizeof(FileHeader) == 40, "the file header has a fixed layout");

// FNV-1a over the bytes: cheap, and enough to tell a damaged file from an intact one.
std::uint64_t fnv1a(const void* data, std::size_t size, std::uint64_t hash) {
  const auto* bytes = static_cast<const unsigned char*>(data);
  for (std::size_t i = 0; i < size; ++i) {
    hash ^= bytes[i];
    hash *= 0x100000001B3ULL;
  }
  return hash;
}
constexpr std::uint64_t kFnvOffset = 0xCBF29CE484222325ULL;

void check_rows(Index n, const char* what) {
  if (n < 0) throw std::invalid_argument(std::string(what) + ": negative number of rows");
}

template <class T>
void check_finite(const T* rows, Index n, Index dim) {
  const Index bad = first_nonfinite_row(rows, n, dim);
  if (bad >= 0) {
    throw std::invalid_argument("G: row " + std::to_string(bad) +
                                " holds NaN or inf; the accumulator was left unchanged");
  }
}

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
  check_rows(n, "update");
  if (n == 0) return;
  check_finite(rows, n, dim_);
  // The row-major (n, dim) block is the column-major (dim, n) matrix A; the sum grows by A A^T.
  syrk_lower(Op::None, dim_, n, 1.0, rows, dim_, 1.0, sum_.data(), dim_);
  count_ += n;
}

void GramAccumulator::update(const float* rows, Index n) {
  check_rows(n, "update");
  if (n == 0) return;
  check_finite(rows, n, dim_);
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
  FileHeader header{};
  std::memcpy(header.magic, kMagic, sizeof kMagic);
  std::memcpy(header.kind, kKind, sizeof kKind);
  header.version = kFormatVersion;
  header.dim = static_cast<std::uint64_t>(dim_);
  header.count = count_;
  header.precision = static_cast<std::uint8_t>(precision_);

  const std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error("cannot open " + temporary + " for writing");
    out.write(reinterpret_cast<const char*>(&header), sizeof header);
    std::uint64_t checksum = fnv1a(&header, sizeof header, kFnvOffset);
    for (Index j = 0; j < dim_; ++j) {
      const double* column = sum_.col(j).data() + j;
      const std::size_t bytes = static_cast<std::size_t>(dim_ - j) * sizeof(double);
      out.write(reinterpret_cast<const char*>(column), static_cast<std::streamsize>(bytes));
      checksum = fnv1a(column, bytes, checksum);
    }
    out.write(reinterpret_cast<const char*>(&checksum), sizeof checksum);
    out.flush();
    if (!out) {
      std::remove(temporary.c_str());
      throw std::runtime_error("writing " + temporary + " failed (disk full?)");
    }
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    std::remove(temporary.c_str());
    throw std::runtime_error("cannot rename " + temporary + " to " + path);
  }
}

GramAccumulator GramAccumulator::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path + " for reading");
  const std::string not_ours = "path: " + path + " is not a netscope GramAccumulator file";
  FileHeader header{};
  if (!in.read(reinterpret_cast<char*>(&header), sizeof header) ||
      std::memcmp(header.magic, kMagic, sizeof kMagic) != 0 ||
      std::memcmp(header.kind, kKind, sizeof kKind) != 0) {
    throw std::invalid_argument(not_ours);
  }
  if (header.version != kFormatVersion) {
    throw std::invalid_argument("path: " + path + " has format version " +
                                std::to_string(header.version) + "; this netscope reads version " +
                                std::to_string(kFormatVersion));
  }
  if (header.dim == 0 || header.dim > (1ULL << 24) || header.count < 0 || header.precision > 1) {
    throw std::invalid_argument("path: " + path + " has a corrupt header");
  }
  // Check the size before allocating dim^2 numbers on the word of a possibly damaged header.
  const std::uint64_t expected_bytes = sizeof(FileHeader) +
                                       header.dim * (header.dim + 1) / 2 * sizeof(double) +
                                       sizeof(std::uint64_t);
  in.seekg(0, std::ios::end);
  const auto actual_bytes = static_cast<std::uint64_t>(in.tellg());
  if (actual_bytes != expected_bytes) {
    throw std::invalid_argument("path: " + path + " holds " + std::to_string(actual_bytes) +
                                " bytes where its header promises " +
                                std::to_string(expected_bytes) + " (truncated or corrupt)");
  }
  in.seekg(sizeof(FileHeader), std::ios::beg);
  GramAccumulator result(static_cast<Index>(header.dim),
                         static_cast<GramPrecision>(header.precision));
  result.count_ = header.count;
  std::uint64_t checksum = fnv1a(&header, sizeof header, kFnvOffset);
  const Index dim = result.dim_;
  for (Index j = 0; j < dim; ++j) {
    double* column = result.sum_.col(j).data() + j;
    const std::size_t bytes = static_cast<std::size_t>(dim - j) * sizeof(double);
    if (!in.read(reinterpret_cast<char*>(column), static_cast<std::streamsize>(bytes))) {
      throw std::invalid_argument("path: " + path + " is truncated");
    }
    checksum = fnv1a(column, bytes, checksum);
  }
  std::uint64_t stored = 0;
  if (!in.read(reinterpret_cast<char*>(&stored), sizeof stored)) {
    throw std::invalid_argument("path: " + path + " is truncated");
  }
  if (stored != checksum) {
    throw std::invalid_argument("path: " + path + " is corrupt (checksum mismatch)");
  }
  return result;
}

}  // namespace netscope
