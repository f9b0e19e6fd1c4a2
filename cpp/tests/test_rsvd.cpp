#include "check.hpp"

#include <netscope/rsvd.hpp>

#include <cmath>

using namespace netscope;

using RowMajor = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// A (m, n) = U diag(1 / i^2) V^T with known factors.
struct KnownSpectrum {
  Matrix<double> u, v;
  Vector<double> s;
  RowMajor a;
};

static KnownSpectrum known_spectrum(Index m, Index n, unsigned seed) {
  KnownSpectrum out;
  const Index r = std::min(m, n);
  out.u = check::random_orthonormal(m, r, seed);
  out.v = check::random_orthonormal(n, r, seed + 1);
  out.s.resize(r);
  for (Index i = 0; i < r; ++i) out.s(i) = 1.0 / static_cast<double>((i + 1) * (i + 1));
  out.a = out.u * out.s.asDiagonal() * out.v.transpose();
  return out;
}

static void test_randomized_svd() {
  const KnownSpectrum known = known_spectrum(300, 200, 7);
  const Index k = 10;
  const SvdResult<double> result = randomized_svd(known.a.data(), 300, 200, k, KrylovOptions{});
  const Vector<double> relative = (result.s - known.s.head(k)).cwiseQuotient(known.s.head(k));
  CHECK(relative.cwiseAbs().maxCoeff() < 1e-8);
  CHECK(check::subspace_distance(result.u, known.u.leftCols(k)) < 1e-6);
  CHECK(check::subspace_distance(result.vt.transpose(), known.v.leftCols(k)) < 1e-6);
  CHECK((result.u.transpose() * result.u - Matrix<double>::Identity(k, k)).norm() < 1e-10);

  const SvdResult<double> again = randomized_svd(known.a.data(), 300, 200, k, KrylovOptions{});
  CHECK(again.s == result.s && again.u == result.u);  // deterministic for a seed

  // float32 input, wide matrix.
  const KnownSpectrum wide = known_spectrum(60, 150, 11);
  const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> af =
      wide.a.cast<float>();
  const SvdResult<float> single = randomized_svd(af.data(), 60, 150, 5, KrylovOptions{});
  const Vector<double> relative_single =
      (single.s.cast<double>() - wide.s.head(5)).cwiseQuotient(wide.s.head(5));
  CHECK(relative_single.cwiseAbs().maxCoeff() < 1e-4);

  CHECK_THROWS(randomized_svd(known.a.data(), 300, 200, 0, KrylovOptions{}));
  CHECK_THROWS(randomized_svd(known.a.data(), 300, 200, 201, KrylovOptions{}));
}

static void test_eigh_top() {
  const Index n = 400, k = 8;
  const Matrix<double> q = check::random_orthonormal(n, n, 5);
  Vector<double> spectrum(n);
  for (Index i = 0; i < n; ++i) spectrum(i) = std::pow(0.9, static_cast<double>(i));
  const Matrix<double> c = q * spectrum.asDiagonal() * q.transpose();
  const Matrix<double> symmetric = (c + c.transpose()) / 2;
  CHECK(relative_asymmetry(symmetric.data(), n) == 0.0);

  const EigenResult<double> result = eigh_top(symmetric.data(), n, k, KrylovOptions{});
  for (Index i = 0; i < k; ++i) CHECK(std::abs(result.values(i) - spectrum(i)) < 1e-8);
  CHECK(check::subspace_distance(result.vectors, q.leftCols(k)) < 1e-5);

  // A basis as large as the matrix takes the dense LAPACK path: exact to rounding.
  const EigenResult<double> dense =
      eigh_top(symmetric.data(), n, k, KrylovOptions{n, 0, 0});
  for (Index i = 0; i < k; ++i) CHECK(std::abs(dense.values(i) - spectrum(i)) < 1e-12);
  CHECK(check::subspace_distance(dense.vectors, q.leftCols(k)) < 1e-10);

  Matrix<double> skewed = symmetric;
  skewed(0, 1) += 1.0;
  CHECK(relative_asymmetry(skewed.data(), n) > 0.5);
}

int main() {
  test_randomized_svd();
  test_eigh_top();
  return check::finish();
}
