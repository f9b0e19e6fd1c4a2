#include "check.hpp"

#include <netscope/linalg.hpp>
#include <netscope/parallel.hpp>
#include <netscope/random.hpp>

#include <Eigen/Eigenvalues>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <limits>
#include <vector>

using namespace netscope;

static void test_gemm_and_syrk() {
  const Matrix<double> a = Matrix<double>::Random(7, 5), b = Matrix<double>::Random(7, 4);
  Matrix<double> c = Matrix<double>::Ones(5, 4);
  gemm<double>(Op::Transpose, Op::None, 5, 4, 7, 2.0, a.data(), 7, b.data(), 7, 1.0, c.data(), 5);
  const Matrix<double> expected = 2.0 * a.transpose() * b + Matrix<double>::Ones(5, 4);
  CHECK((c - expected).norm() < 1e-12);

  const Matrix<float> af = a.cast<float>();
  Matrix<float> cf = Matrix<float>::Zero(5, 5);
  syrk_lower<float>(Op::Transpose, 5, 7, 1.0f, af.data(), 7, 0.0f, cf.data(), 5);
  const Matrix<float> gram = af.transpose() * af;
  CHECK((cf.triangularView<Eigen::Lower>().toDenseMatrix() -
         gram.triangularView<Eigen::Lower>().toDenseMatrix())
            .norm() < 1e-5f);
  CHECK(cf(0, 4) == 0.0f);  // the upper triangle is left alone
}

static void test_orthonormalize() {
  Matrix<double> y = Matrix<double>::Random(40, 6);
  const Matrix<double> original = y;
  orthonormalize_columns(y);
  CHECK((y.transpose() * y - Matrix<double>::Identity(6, 6)).norm() < 1e-12);
  // Same span: projecting the original onto y loses nothing.
  CHECK((original - y * (y.transpose() * original)).norm() < 1e-12);
  Matrix<double> wide = Matrix<double>::Random(3, 5);
  CHECK_THROWS(orthonormalize_columns(wide));
}

static void test_svd_and_eigen() {
  Matrix<double> a = Matrix<double>::Random(9, 6);
  const Matrix<double> original = a;
  Matrix<double> u, vt;
  Vector<double> s;
  thin_svd(a, u, s, vt);
  CHECK((u * s.asDiagonal() * vt - original).norm() < 1e-12);
  CHECK(s(0) >= s(1) && s(4) >= s(5));

  // A symmetric matrix with a known spectrum 6, 5, ..., 1.
  const Matrix<double> q = check::random_orthonormal(6, 6, 3);
  Vector<double> spectrum(6);
  spectrum << 1, 2, 3, 4, 5, 6;
  Matrix<double> sym = q * spectrum.asDiagonal() * q.transpose();
  Vector<double> values;
  Matrix<double> vectors;
  Matrix<double> copy = sym;
  const Vector<double> all = symmetric_eigenvalues(copy);
  CHECK(all.size() == 6 && std::abs(all(0) - 6.0) < 1e-12 && std::abs(all(5) - 1.0) < 1e-12);
  symmetric_eigen_top(sym, 2, values, vectors);
  CHECK(std::abs(values(0) - 6.0) < 1e-12 && std::abs(values(1) - 5.0) < 1e-12);
  CHECK(std::abs(std::abs(vectors.col(0).dot(q.col(5))) - 1.0) < 1e-12);
  CHECK(std::abs(std::abs(vectors.col(1).dot(q.col(4))) - 1.0) < 1e-12);
}

static void test_first_nonfinite_row() {
  std::vector<float> data(30, 1.0f);
  CHECK(first_nonfinite_row(data.data(), 10, 3) == -1);
  data[3 * 7 + 2] = std::numeric_limits<float>::infinity();
  data[3 * 8] = std::numeric_limits<float>::quiet_NaN();
  CHECK(first_nonfinite_row(data.data(), 10, 3) == 7);
  // Many rows, so that several threads scan: the earliest bad row wins, not the first found.
  std::vector<double> many(200000 * 4, 0.5);
  many[4 * 150000] = std::numeric_limits<double>::quiet_NaN();
  many[4 * 70001 + 3] = -std::numeric_limits<double>::infinity();
  CHECK(first_nonfinite_row(many.data(), 200000, 4) == 70001);
}

static void test_parallel_for() {
  std::vector<int> visits(1000, 0);
  parallel_for(0, 1000, 7, [&](Index first, Index last) {
    for (Index i = first; i < last; ++i) visits[static_cast<std::size_t>(i)] += 1;
  });
  CHECK(std::all_of(visits.begin(), visits.end(), [](int v) { return v == 1; }));
  CHECK_THROWS(parallel_for(0, 100, 1, [](Index first, Index) {
    if (first == 42) throw std::runtime_error("chunk 42 fails");
  }));
  CHECK_THROWS(set_core_threads(0));
}

// Kolmogorov-Smirnov distance between 200 000 draws and the N(0, 1) distribution function
// (from std::erfc, independent of the generator), and the share of draws beyond 3 and 4 sigma.
static void test_gaussian_distribution() {
  const Matrix<double> g = gaussian_matrix<double>(20000, 10, 7);
  std::vector<double> draws(g.data(), g.data() + g.size());
  std::sort(draws.begin(), draws.end());
  const double n = static_cast<double>(draws.size());
  double distance = 0.0;
  for (std::size_t i = 0; i < draws.size(); ++i) {
    const double cdf = 0.5 * std::erfc(-draws[i] / std::sqrt(2.0));
    distance = std::max({distance, std::abs(cdf - i / n), std::abs(cdf - (i + 1) / n)});
  }
  CHECK(distance < 1.63 / std::sqrt(n));  // the 1 % critical value
  const auto beyond = [&](double z) {
    return std::count_if(draws.begin(), draws.end(), [z](double x) { return std::abs(x) > z; }) / n;
  };
  CHECK(std::abs(beyond(3.0) - 0.0026998) < 5 * std::sqrt(0.0027 / n));
  CHECK(std::abs(beyond(4.0) - 6.334e-5) < 5 * std::sqrt(6.3e-5 / n));
}

static void test_gaussian_matrix() {
  const Matrix<double> g = gaussian_matrix<double>(2001, 50, 42);
  CHECK(g.isApprox(gaussian_matrix<double>(2001, 50, 42)));
  CHECK(!g.isApprox(gaussian_matrix<double>(2001, 50, 43)));
  // 100 050 draws: the mean is within 5 standard errors of 0 and the variance near 1.
  const double mean = g.mean();
  const double variance = (g.array() - mean).square().mean();
  CHECK(std::abs(mean) < 5.0 / std::sqrt(100050.0));
  CHECK(std::abs(variance - 1.0) < 0.02);
  // Any row block regenerates on its own.
  for (const Index first : {Index{0}, Index{7}, Index{1000}}) {
    Matrix<double> rows(101, 50);
    gaussian_rows(first, 101, 50, 42, rows.data(), 101);
    CHECK(rows == g.middleRows(first, 101));
  }
}

int main() {
  test_gemm_and_syrk();
  test_orthonormalize();
  test_svd_and_eigen();
  test_first_nonfinite_row();
  test_gaussian_matrix();
  test_gaussian_distribution();
  test_parallel_for();
  return check::finish();
}
