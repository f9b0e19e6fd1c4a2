#include "check.hpp"

#include <netscope/sketch.hpp>

#include <Eigen/Eigenvalues>

#include <cmath>

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

int main() {
  test_exact_for_low_rank();
  test_merge_equals_one_stream();
  return check::finish();
}
