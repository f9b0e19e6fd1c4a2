// A minimal test harness for the core's ctest executables: CHECK records a failure with its
// location and goes on; finish() prints the tally and gives the process exit code.
#pragma once

#include <netscope/linalg.hpp>

#include <Eigen/QR>
#include <Eigen/SVD>

#include <cstdio>
#include <cstdint>
#include <exception>

namespace check {

inline int passed = 0;
inline int failed = 0;

inline void record(bool ok, const char* expression, const char* file, int line) {
  if (ok) {
    ++passed;
  } else {
    ++failed;
    std::printf("FAILED %s:%d: %s\n", file, line, expression);
  }
}

inline int finish() {
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}

// Random matrix with orthonormal columns from Eigen's own Householder QR, independent of the
// LAPACK path the core takes.
inline netscope::Matrix<double> random_orthonormal(netscope::Index rows, netscope::Index cols,
                                                   unsigned seed) {
  std::srand(seed);
  netscope::Matrix<double> gaussian = netscope::Matrix<double>::Random(rows, cols);
  Eigen::HouseholderQR<netscope::Matrix<double>> qr(gaussian);
  return qr.householderQ() * netscope::Matrix<double>::Identity(rows, cols);
}

// Sine of the largest principal angle between the column spans of two orthonormal bases.
inline double subspace_distance(const netscope::Matrix<double>& a,
                                const netscope::Matrix<double>& b) {
  const netscope::Matrix<double> residual = b - a * (a.transpose() * b);
  Eigen::JacobiSVD<netscope::Matrix<double>> svd(residual);
  return svd.singularValues()(0);
}

}  // namespace check

#define CHECK(condition) ::check::record(static_cast<bool>(condition), #condition, __FILE__, __LINE__)

#define CHECK_THROWS(statement)                                   \
  do {                                                            \
    bool threw_ = false;                                          \
    try {                                                         \
      statement;                                                  \
    } catch (const std::exception&) {                             \
      threw_ = true;                                              \
    }                                                             \
    ::check::record(threw_, "throws: " #statement, __FILE__, __LINE__); \
  } while (false)
