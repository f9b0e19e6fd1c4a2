#include "check.hpp"

#include <netscope/graph.hpp>
#include <netscope/parallel.hpp>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

using namespace netscope;

// Random kNN lists: k distinct targets per point, never the point itself, with weights in (0, 1].
struct Lists {
  Index n, k;
  std::vector<std::int64_t> neighbours;
  std::vector<double> weights;
};

static Lists random_lists(Index n, Index k, unsigned seed) {
  std::mt19937_64 random(seed);
  Lists lists{n, k, {}, {}};
  std::uniform_real_distribution<double> weight(0.01, 1.0);
  for (Index i = 0; i < n; ++i) {
    std::vector<std::int64_t> row;
    while (static_cast<Index>(row.size()) < k) {
      const auto j = static_cast<std::int64_t>(random() % static_cast<std::uint64_t>(n));
      if (j != i && std::find(row.begin(), row.end(), j) == row.end()) row.push_back(j);
    }
    for (std::int64_t j : row) {
      lists.neighbours.push_back(j);
      lists.weights.push_back(weight(random));
    }
  }
  return lists;
}

// The dense n x n result of symmetrize_knn, computed entry by entry from the definition.
static std::vector<double> dense_reference(const Lists& lists, Symmetrize mode) {
  const auto n = static_cast<std::size_t>(lists.n), k = static_cast<std::size_t>(lists.k);
  std::vector<double> directed(n * n, 0.0), result(n * n, 0.0);
  for (std::size_t e = 0; e < n * k; ++e) {
    double& w = directed[e / k * n + static_cast<std::size_t>(lists.neighbours[e])];
    w = std::max(w, lists.weights[e]);
  }
  std::vector<bool> has_mutual(n, false);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < n; ++j) {
      const double a = directed[i * n + j], b = directed[j * n + i];
      if (mode == Symmetrize::kFuzzyUnion) result[i * n + j] = a + b - a * b;
      if (mode == Symmetrize::kMaxUnion) result[i * n + j] = std::max(a, b);
      if (mode == Symmetrize::kMutual && a > 0 && b > 0) {
        result[i * n + j] = std::min(a, b);
        has_mutual[i] = true;
      }
    }
  }
  for (std::size_t i = 0; mode == Symmetrize::kMutual && i < n; ++i) {
    if (has_mutual[i]) continue;
    const auto nearest = static_cast<std::size_t>(lists.neighbours[i * k]);
    result[i * n + nearest] = std::max(result[i * n + nearest], lists.weights[i * k]);
    result[nearest * n + i] = std::max(result[nearest * n + i], lists.weights[i * k]);
  }
  return result;
}

static std::vector<double> dense(const OwnedCsr& csr, Index n) {
  std::vector<double> result(static_cast<std::size_t>(n * n), 0.0);
  for (Index i = 0; i < n; ++i) {
    for (std::int64_t e = csr.indptr[i]; e < csr.indptr[i + 1]; ++e) {
      result[static_cast<std::size_t>(i * n + csr.indices[e])] += csr.weights[e];
    }
  }
  return result;
}

static bool rows_sorted_and_positive(const OwnedCsr& csr, Index n) {
  for (Index i = 0; i < n; ++i) {
    for (std::int64_t e = csr.indptr[i]; e < csr.indptr[i + 1]; ++e) {
      if (!(csr.weights[e] > 0) || (e > csr.indptr[i] && csr.indices[e] <= csr.indices[e - 1])) return false;
    }
  }
  return true;
}

static double largest_gap(const std::vector<double>& a, const std::vector<double>& b) {
  double gap = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) gap = std::max(gap, std::abs(a[i] - b[i]));
  return gap;
}

static void test_symmetrize_matches_the_dense_definition() {
  // k = 3 of 40 points: many one-way edges, some mutual pairs, and points with no mutual pair.
  Lists lists = random_lists(40, 3, 1);
  lists.neighbours[5 * 3 + 2] = lists.neighbours[5 * 3 + 1];  // a target listed twice keeps its larger weight
  for (Symmetrize mode : {Symmetrize::kFuzzyUnion, Symmetrize::kMaxUnion, Symmetrize::kMutual}) {
    const OwnedCsr csr = symmetrize_knn(lists.neighbours.data(), lists.weights.data(), lists.n, lists.k, mode);
    CHECK(rows_sorted_and_positive(csr, lists.n));
    CHECK(largest_gap(dense(csr, lists.n), dense_reference(lists, mode)) < 1e-15);
    const CsrGraph graph{lists.n, csr.indptr.data(), csr.indices.data(), csr.weights.data()};
    CHECK(max_asymmetry(graph) == 0.0);
    if (mode == Symmetrize::kMutual) {
      for (Index i = 0; i < lists.n; ++i) CHECK(csr.indptr[i + 1] > csr.indptr[i]);  // no point left alone
    }
  }
}

static void test_symmetrize_is_independent_of_threads_and_refuses_bad_lists() {
  const Lists lists = random_lists(20000, 5, 2);  // several parallel chunks of rows
  const int original = core_threads();
  set_core_threads(1);
  const OwnedCsr one = symmetrize_knn(lists.neighbours.data(), lists.weights.data(), lists.n, lists.k, Symmetrize::kMutual);
  set_core_threads(2);
  const OwnedCsr two = symmetrize_knn(lists.neighbours.data(), lists.weights.data(), lists.n, lists.k, Symmetrize::kMutual);
  set_core_threads(original);
  CHECK(one.indptr == two.indptr && one.indices == two.indices && one.weights == two.weights);
  Lists bad = random_lists(10, 2, 3);
  bad.neighbours[4] = 2;  // point 2 lists itself
  CHECK_THROWS(symmetrize_knn(bad.neighbours.data(), bad.weights.data(), bad.n, bad.k, Symmetrize::kFuzzyUnion));
  bad = random_lists(10, 2, 3);
  bad.neighbours[0] = 10;
  CHECK_THROWS(symmetrize_knn(bad.neighbours.data(), bad.weights.data(), bad.n, bad.k, Symmetrize::kFuzzyUnion));
  bad = random_lists(10, 2, 3);
  bad.weights[0] = std::nan("");
  CHECK_THROWS(symmetrize_knn(bad.neighbours.data(), bad.weights.data(), bad.n, bad.k, Symmetrize::kFuzzyUnion));
}

static void test_max_asymmetry() {
  // 0 - 1 (weight 2 one way, 1.5 the other), 1 - 2 listed by 1 only (weight 0.25).
  const std::vector<std::int64_t> indptr{0, 1, 3, 3};
  std::vector<std::int32_t> indices{1, 0, 2};
  const std::vector<double> weights{2.0, 1.5, 0.25};
  const CsrGraph graph{3, indptr.data(), indices.data(), weights.data()};
  CHECK(max_asymmetry(graph) == 0.5);
  const std::vector<double> small{2.0, 2.0, 0.25};
  CHECK(max_asymmetry(CsrGraph{3, indptr.data(), indices.data(), small.data()}) == 0.25);
  indices[1] = 2;  // row 1 out of order
  indices[2] = 0;
  CHECK_THROWS(max_asymmetry(graph));
  indices = {1, 0, 3};  // a target out of range (the same buffer: the size is unchanged)
  CHECK_THROWS(max_asymmetry(CsrGraph{3, indptr.data(), indices.data(), weights.data()}));
}

int main() {
  test_symmetrize_matches_the_dense_definition();
  test_symmetrize_is_independent_of_threads_and_refuses_bad_lists();
  test_max_asymmetry();
  return check::finish();
}
