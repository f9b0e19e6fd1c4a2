#include "check.hpp"

#include <netscope/knn.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

using namespace netscope;

using RowMajor = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

static void test_matches_brute_force() {
  const Index n = 300, d = 7, k = 5;
  const RowMajor points = RowMajor::Random(n, d);
  const KnnResult result = exact_knn(points.data(), n, d, k);
  int mismatches = 0;
  for (Index i = 0; i < n; ++i) {
    std::vector<std::pair<double, Index>> all;
    for (Index j = 0; j < n; ++j) {
      if (j != i) all.push_back({(points.row(i) - points.row(j)).norm(), j});
    }
    std::sort(all.begin(), all.end());
    for (Index j = 0; j < k; ++j) {
      mismatches += result.indices(i, j) != all[static_cast<std::size_t>(j)].second;
      mismatches += std::abs(result.distances(i, j) - all[static_cast<std::size_t>(j)].first) > 1e-9;
    }
  }
  CHECK(mismatches == 0);
}

static void test_duplicates_and_bounds() {
  // Four copies of one point and one far point: neighbours at distance 0, never self.
  RowMajor points(5, 2);
  points << 1, 1, 1, 1, 1, 1, 1, 1, 9, 9;
  const KnnResult result = exact_knn(points.data(), 5, 2, 3);
  for (Index i = 0; i < 4; ++i) {
    for (Index j = 0; j < 3; ++j) {
      CHECK(result.indices(i, j) != i);
      CHECK(result.distances(i, j) == 0.0);
    }
  }
  CHECK(std::abs(result.distances(4, 0) - std::sqrt(128.0)) < 1e-12);
  CHECK_THROWS(exact_knn(points.data(), 5, 2, 5));
  CHECK_THROWS(exact_knn(points.data(), 1, 2, 1));
}

static void test_approximate_recall_and_determinism() {
  // Twelve well-spread clusters in 16 dimensions; the search must find most true neighbours.
  const Index n = 3000, d = 16, k = 10;
  const RowMajor centres = RowMajor::Random(12, d) * 8.0;
  RowMajor points = RowMajor::Random(n, d);
  for (Index i = 0; i < n; ++i) points.row(i) += centres.row(i % 12);
  const KnnResult exact = exact_knn(points.data(), n, d, k);
  const KnnResult approximate = approximate_knn(points.data(), n, d, k, ApproximateKnnOptions{});
  const KnnResult again = approximate_knn(points.data(), n, d, k, ApproximateKnnOptions{});
  CHECK(approximate.indices == again.indices);
  Index found = 0;
  for (Index i = 0; i < n; ++i) {
    for (Index j = 0; j < k; ++j) {
      CHECK(approximate.indices(i, j) != i);
      for (Index l = 0; l < k; ++l) found += approximate.indices(i, j) == exact.indices(i, l);
    }
  }
  CHECK(static_cast<double>(found) / static_cast<double>(n * k) > 0.9);
  CHECK_THROWS(approximate_knn(points.data(), n, d, n, ApproximateKnnOptions{}));
  CHECK_THROWS(approximate_knn(points.data(), n, d, k, ApproximateKnnOptions{0, 0, 5, 0, 0}));
}

int main() {
  test_matches_brute_force();
  test_approximate_recall_and_determinism();
  test_duplicates_and_bounds();
  return check::finish();
}
