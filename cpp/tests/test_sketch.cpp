#include "check.hpp"

#include <netscope/sketch.hpp>

#include <Eigen/Eigenvalues>

#include <cmath>
#include <cstdio>
#include <fstream>

using namespace netscope;

using RowMajor = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

static void test_exact_for_low_rank() {
  // Rows in a 4-dimensional subspace of R^40: C has rank 4, and a sketch of 8 columns is exact.
  const Matrix<double> basis = check::random_orthonormal(40, 4, 3);
  const RowMajor coefficients = RowMajor::Random(300, 4) * 3.0;
  const RowMajor rows = coefficients * basis.transpose();
  NystromSketch sketch(40, 8, 1);
  sketch.update(rows.data(), 150);
  sketch.update(rows.data() + 150 * 40, 150);
  Vector<double> values;
  Matrix<double> vectors;
  sketch.eigenpairs(4, values, vectors);
  const Matrix<double> exact = rows.transpose() * rows / 300.0;
  Eigen::SelfAdjointEigenSolver<Matrix<double>> solver(exact);
  for (Index i = 0; i < 4; ++i) CHECK(std::abs(values(i) - solver.eigenvalues()(39 - i)) < 1e-8 * values(0));
  CHECK(check::subspace_distance(vectors, basis) < 1e-6);
}

static void test_merge_equals_one_stream() {
  const RowMajor rows = RowMajor::Random(100, 20);
  NystromSketch whole(20, 6, 9), first(20, 6, 9), second(20, 6, 9);
  whole.update(rows.data(), 100);
  first.update(rows.data(), 37);
  second.update(rows.data() + 37 * 20, 63);
  first.merge(second);
  CHECK(first.count() == 100);
  CHECK((first.sketch() - whole.sketch()).norm() < 1e-12 * whole.sketch().norm());
  NystromSketch other_seed(20, 6, 10);
  CHECK_THROWS(first.merge(other_seed));
  CHECK_THROWS(NystromSketch(20, 21, 0));
}

static void test_exact_across_row_blocks() {
  // dim 20000 spans two blocks of regenerated test rows (and two TSQR factors); rank 3 < s - 1.
  const Index dim = 20000;
  const Matrix<double> basis = check::random_orthonormal(dim, 3, 5);
  const RowMajor rows = (RowMajor::Random(40, 3) * 2.0) * basis.transpose();
  NystromSketch sketch(dim, 6, 2);
  sketch.update(rows.data(), 40);
  Vector<double> values;
  Matrix<double> vectors;
  sketch.eigenpairs(3, values, vectors);
  // The nonzero eigenvalues of G^T G / n are those of the small G G^T / n.
  const Matrix<double> small = rows * rows.transpose() / 40.0;
  Eigen::SelfAdjointEigenSolver<Matrix<double>> solver(small);
  for (Index i = 0; i < 3; ++i) CHECK(std::abs(values(i) - solver.eigenvalues()(39 - i)) < 1e-8 * values(0));
  CHECK(check::subspace_distance(vectors, basis) < 1e-6);
  CHECK((vectors.transpose() * vectors - Matrix<double>::Identity(3, 3)).cwiseAbs().maxCoeff() < 1e-10);
}

static void test_float_rows_match_double_rows() {
  const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> rows =
      Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>::Random(30, 9000);
  const RowMajor widened = rows.cast<double>();
  NystromSketch from_float(9000, 5, 4), from_double(9000, 5, 4);
  from_float.update(rows.data(), 30);
  from_double.update(widened.data(), 30);
  CHECK((from_float.sketch() - from_double.sketch()).cwiseAbs().maxCoeff() == 0.0);
}

static void test_save_load_round_trip() {
  const RowMajor rows = RowMajor::Random(50, 30);
  NystromSketch sketch(30, 7, 11);
  sketch.update(rows.data(), 50);
  const std::string path = "netscope_test_sketch.bin";
  sketch.save(path);
  const NystromSketch loaded = NystromSketch::load(path);
  CHECK(loaded.count() == 50 && loaded.seed() == 11 && loaded.sketch_size() == 7);
  CHECK((loaded.sketch() - sketch.sketch()).cwiseAbs().maxCoeff() == 0.0);
  {
    std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(100);
    file.put('\x7f');
  }
  CHECK_THROWS(NystromSketch::load(path));
  std::remove(path.c_str());
}

static void test_zero_rows_give_zero_eigenpairs() {
  // A dead network streams zero gradients: C = 0, and the stabilised Nystrom shift is zero too.
  const RowMajor rows = RowMajor::Zero(4, 12);
  NystromSketch sketch(12, 5, 2);
  sketch.update(rows.data(), 4);
  Vector<double> values;
  Matrix<double> vectors;
  sketch.eigenpairs(3, values, vectors);
  CHECK(values.cwiseAbs().maxCoeff() == 0.0);
  CHECK((vectors.transpose() * vectors - Matrix<double>::Identity(3, 3)).cwiseAbs().maxCoeff() < 1e-14);

  // Rank 1, far below the sketch size: W^T Y is singular to rounding at the default shift.
  RowMajor one = RowMajor::Zero(2, 2);
  one(0, 0) = 1.0;
  NystromSketch rank_one(2, 2, 3);
  rank_one.update(one.data(), 2);
  rank_one.eigenpairs(2, values, vectors);
  CHECK(std::abs(values(0) - 0.5) < 1e-12 && std::abs(values(1)) < 1e-12);
  CHECK(std::abs(std::abs(vectors(0, 0)) - 1.0) < 1e-12);
}

static void test_float32_storage_matches_float64() {
  // A decaying spectrum across two row blocks: the float32 sketch sees the same test matrix, so
  // its Y and eigenpairs differ from the float64 ones only by float32 rounding.
  const Index dim = 20000, n = 60;
  const Matrix<double> basis = check::random_orthonormal(dim, 12, 8);
  RowMajor coefficients = RowMajor::Random(n, 12);
  for (Index j = 0; j < 12; ++j) coefficients.col(j) *= std::pow(0.6, static_cast<double>(j));
  const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> rows =
      (coefficients * basis.transpose()).cast<float>();
  NystromSketch wide(dim, 16, 6);
  NystromSketch32 narrow(dim, 16, 6);
  wide.update(rows.data(), 30);
  wide.update(rows.data() + 30 * dim, 30);
  narrow.update(rows.data(), 30);
  narrow.update(rows.data() + 30 * dim, 30);
  const double scale = wide.sketch().cwiseAbs().maxCoeff();
  CHECK((narrow.sketch().cast<double>() - wide.sketch()).cwiseAbs().maxCoeff() < 1e-6 * scale);
  Vector<double> values64, values32;
  Matrix<double> vectors64;
  Matrix<float> vectors32;
  wide.eigenpairs(8, values64, vectors64);
  narrow.eigenpairs(8, values32, vectors32);
  for (Index i = 0; i < 8; ++i) CHECK(std::abs(values32(i) - values64(i)) < 1e-5 * values64(0));
  CHECK(check::subspace_distance(vectors32.cast<double>().leftCols(4), vectors64.leftCols(4)) < 1e-3);

  const std::string path = "netscope_test_sketch32.bin";
  narrow.save(path);
  const NystromSketch32 loaded = NystromSketch32::load(path);
  CHECK(loaded.count() == n && (loaded.sketch() - narrow.sketch()).cwiseAbs().maxCoeff() == 0.0f);
  CHECK_THROWS(NystromSketch::load(path));  // a float32 file is not read as a float64 sketch
  std::remove(path.c_str());
}

int main() {
  test_exact_for_low_rank();
  test_merge_equals_one_stream();
  test_exact_across_row_blocks();
  test_float_rows_match_double_rows();
  test_save_load_round_trip();
  test_zero_rows_give_zero_eigenpairs();
  test_float32_storage_matches_float64();
  return check::finish();
}
