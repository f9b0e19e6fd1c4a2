#include <netscope/state_file.hpp>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace netscope {
namespace {

constexpr char kMagic[8] = {'N', 'E', 'T', 'S', 'C', 'O', 'P', 'E'};
constexpr std::uint64_t kFnvOffset = 0xCBF29CE484222325ULL;

// FNV-1a over the bytes: cheap, and enough to tell a damaged file from an intact one.
std::uint64_t fnv1a(const void* data, std::size_t size, std::uint64_t hash) {
  const auto* bytes = static_cast<const unsigned char*>(data);
  for (std::size_t i = 0; i < size; ++i) {
    hash ^= bytes[i];
    hash *= 0x100000001B3ULL;
  }
  return hash;
}

}  // namespace

StateHeader make_state_header(const char (&kind)[5], std::uint32_t version, Index dim, std::int64_t count) {
  StateHeader header{};
  std::memcpy(header.magic, kMagic, sizeof kMagic);
  std::memcpy(header.kind, kind, sizeof header.kind);
  header.version = version;
  header.dim = static_cast<std::uint64_t>(dim);
  header.count = count;
  return header;
}

StateFileWriter::StateFileWriter(const std::string& path, const StateHeader& header)
    : path_(path), temporary_(path + ".tmp"), out_(temporary_, std::ios::binary | std::ios::trunc) {
  if (!out_) throw std::runtime_error("cannot open " + temporary_ + " for writing");
  out_.write(reinterpret_cast<const char*>(&header), sizeof header);
  checksum_ = fnv1a(&header, sizeof header, kFnvOffset);
}

StateFileWriter::~StateFileWriter() {
  if (!committed_) {
    out_.close();
    std::remove(temporary_.c_str());
  }
}

template <class T>
void StateFileWriter::write(const T* values, Index n) {
  const std::size_t bytes = static_cast<std::size_t>(n) * sizeof(T);
  out_.write(reinterpret_cast<const char*>(values), static_cast<std::streamsize>(bytes));
  checksum_ = fnv1a(values, bytes, checksum_);
}

void StateFileWriter::commit() {
  out_.write(reinterpret_cast<const char*>(&checksum_), sizeof checksum_);
  out_.flush();
  if (!out_) throw std::runtime_error("writing " + temporary_ + " failed (disk full?)");
  out_.close();
  if (std::rename(temporary_.c_str(), path_.c_str()) != 0) {
    throw std::runtime_error("cannot rename " + temporary_ + " to " + path_);
  }
  committed_ = true;
}

StateFileReader::StateFileReader(const std::string& path, const char (&kind)[5], std::uint32_t version,
                                 const std::string& what)
    : path_(path), in_(path, std::ios::binary) {
  if (!in_) throw std::runtime_error("cannot open " + path + " for reading");
  if (!in_.read(reinterpret_cast<char*>(&header_), sizeof header_) ||
      std::memcmp(header_.magic, kMagic, sizeof kMagic) != 0 ||
      std::memcmp(header_.kind, kind, sizeof header_.kind) != 0) {
    throw std::invalid_argument("path: " + path + " is not a netscope " + what + " file");
  }
  if (header_.version != version) {
    throw std::invalid_argument("path: " + path + " has format version " + std::to_string(header_.version) +
                                "; this netscope reads version " + std::to_string(version));
  }
  if (header_.dim == 0 || header_.count < 0) corrupt_header();
  checksum_ = fnv1a(&header_, sizeof header_, kFnvOffset);
}

void StateFileReader::corrupt_header() const {
  throw std::invalid_argument("path: " + path_ + " has a corrupt header");
}

void StateFileReader::expect_payload(std::uint64_t values, std::uint64_t bytes_per_value) {
  const std::uint64_t expected = sizeof(StateHeader) + values * bytes_per_value + sizeof(std::uint64_t);
  const auto here = in_.tellg();
  in_.seekg(0, std::ios::end);
  const auto actual = static_cast<std::uint64_t>(in_.tellg());
  in_.seekg(here);
  if (actual != expected) {
    throw std::invalid_argument("path: " + path_ + " holds " + std::to_string(actual) +
                                " bytes where its header promises " + std::to_string(expected) +
                                " (truncated or corrupt)");
  }
}

template <class T>
void StateFileReader::read(T* values, Index n) {
  const std::size_t bytes = static_cast<std::size_t>(n) * sizeof(T);
  if (!in_.read(reinterpret_cast<char*>(values), static_cast<std::streamsize>(bytes))) {
    throw std::invalid_argument("path: " + path_ + " is truncated");
  }
  checksum_ = fnv1a(values, bytes, checksum_);
}

void StateFileReader::finish() {
  std::uint64_t stored = 0;
  if (!in_.read(reinterpret_cast<char*>(&stored), sizeof stored)) {
    throw std::invalid_argument("path: " + path_ + " is truncated");
  }
  if (stored != checksum_) throw std::invalid_argument("path: " + path_ + " is corrupt (checksum mismatch)");
}

template <class T>
void replace_matrix_state(Matrix<T>& state, std::int64_t& state_count, const T* values, Index size,
                          std::int64_t count) {
  if (size != state.size()) {
    throw std::invalid_argument("state: expected " + std::to_string(state.size()) + " numbers, got " +
                                std::to_string(size));
  }
  if (count < 0) throw std::invalid_argument("count must be >= 0, got " + std::to_string(count));
  if (first_nonfinite_row(values, 1, size) >= 0) throw std::invalid_argument("state holds NaN or inf");
  std::copy(values, values + size, state.data());
  state_count = count;
}

template void StateFileWriter::write<float>(const float*, Index);
template void StateFileWriter::write<double>(const double*, Index);
template void StateFileReader::read<float>(float*, Index);
template void StateFileReader::read<double>(double*, Index);
template void replace_matrix_state<float>(Matrix<float>&, std::int64_t&, const float*, Index, std::int64_t);
template void replace_matrix_state<double>(Matrix<double>&, std::int64_t&, const double*, Index, std::int64_t);

}  // namespace netscope
