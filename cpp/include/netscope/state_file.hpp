// The on-disk format of the streaming accumulators' state (GramAccumulator, NystromSketch): a
// fixed little-endian header, a float64 (or, for the float32 sketch, float32) payload, and an
// FNV-1a checksum of both. Files are written
// atomically (a temporary file in the same folder, then a rename), so a process killed mid-write
// leaves the previous file intact: what resumable runs rely on.
#pragma once

#include <netscope/linalg.hpp>

#include <cstdint>
#include <fstream>
#include <string>

namespace netscope {

struct StateHeader {
  char magic[8];             // "NETSCOPE"
  char kind[4];              // which accumulator, e.g. "GRAM"
  std::uint32_t version;     // of that kind's layout
  std::uint64_t dim;
  std::int64_t count;        // rows seen
  std::uint64_t options[2];  // kind-specific: precision; sketch size and seed
};
static_assert(sizeof(StateHeader) == 48, "the file header has a fixed layout");

StateHeader make_state_header(const char (&kind)[5], std::uint32_t version, Index dim, std::int64_t count);

// An accumulator's state (`state`, `state_count`) replaced by `values` (`size` numbers, laid out as
// `state`) and `count` in one step, after checking the size, the count's sign and that every value
// is finite; on a failed check both are left as they were. O(size).
template <class T>
void replace_matrix_state(Matrix<T>& state, std::int64_t& state_count, const T* values, Index size,
                          std::int64_t count);

class StateFileWriter {
 public:
  // Opens `path`.tmp and writes the header. Throws std::runtime_error when it cannot.
  StateFileWriter(const std::string& path, const StateHeader& header);
  // Removes the temporary file unless commit() succeeded.
  ~StateFileWriter();
  StateFileWriter(const StateFileWriter&) = delete;
  StateFileWriter& operator=(const StateFileWriter&) = delete;

  template <class T>
  void write(const T* values, Index n);
  // Appends the checksum, flushes and renames the temporary file onto `path`.
  void commit();

 private:
  std::string path_, temporary_;
  std::ofstream out_;
  std::uint64_t checksum_;
  bool committed_ = false;
};

class StateFileReader {
 public:
  // Opens `path` and checks its magic, kind and version; `what` names the class in messages.
  // Throws std::runtime_error when it cannot be opened, std::invalid_argument for a foreign file.
  StateFileReader(const std::string& path, const char (&kind)[5], std::uint32_t version, const std::string& what);

  const StateHeader& header() const { return header_; }
  // Throws std::invalid_argument naming the file: call for a header field out of range.
  [[noreturn]] void corrupt_header() const;
  // Checks that the payload holds exactly `values` numbers of `bytes_per_value` bytes, before
  // anything is allocated on the word of a possibly damaged header.
  void expect_payload(std::uint64_t values, std::uint64_t bytes_per_value = sizeof(double));
  template <class T>
  void read(T* values, Index n);
  // Reads the stored checksum and compares it with the bytes read.
  void finish();

 private:
  std::string path_;
  std::ifstream in_;
  StateHeader header_{};
  std::uint64_t checksum_;
};

}  // namespace netscope
