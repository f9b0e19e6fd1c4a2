#include "check.hpp"

#include <netscope/layout.hpp>
#include <netscope/neighbor_embedding.hpp>

#include <cmath>
#include <vector>

using namespace netscope;

struct EdgeList {
  std::vector<std::int64_t> indptr;
  std::vector<std::int32_t> indices;
  std::vector<double> weights;
  CsrGraph graph() const {
    return CsrGraph{static_cast<Index>(indptr.size()) - 1, indptr.data(), indices.data(), weights.data()};
  }
};

// Two cliques of `size` nodes joined by a single edge between node 0 and node `size`.
static EdgeList two_cliques(Index size) {
  const Index n = 2 * size;
  std::vector<std::vector<Index>> neighbours(static_cast<std::size_t>(n));
  for (Index c = 0; c < 2; ++c) {
    for (Index i = 0; i < size; ++i) {
      for (Index j = 0; j < size; ++j) {
        if (i != j) neighbours[static_cast<std::size_t>(c * size + i)].push_back(c * size + j);
      }
    }
  }
  neighbours[0].push_back(size);
  neighbours[static_cast<std::size_t>(size)].push_back(0);
  EdgeList edges;
  edges.indptr.push_back(0);
  for (const auto& list : neighbours) {
    for (Index j : list) {
      edges.indices.push_back(static_cast<std::int32_t>(j));
      edges.weights.push_back(1.0);
    }
    edges.indptr.push_back(static_cast<std::int64_t>(edges.indices.size()));
  }
  return edges;
}

static std::vector<double> start_positions(Index n) {
  std::vector<double> positions(static_cast<std::size_t>(2 * n));
  for (Index i = 0; i < n; ++i) {  // a deterministic spiral, mixing the two cliques
    positions[static_cast<std::size_t>(2 * i)] = std::cos(0.7 * static_cast<double>(i)) * static_cast<double>(i + 1);
    positions[static_cast<std::size_t>(2 * i + 1)] = std::sin(0.7 * static_cast<double>(i)) * static_cast<double>(i + 1);
  }
  return positions;
}

static double centroid_gap_over_spread(const std::vector<double>& p, Index size) {
  double c[2][2] = {{0, 0}, {0, 0}};
  for (Index c_i = 0; c_i < 2; ++c_i) {
    for (Index i = 0; i < size; ++i) {
      c[c_i][0] += p[static_cast<std::size_t>(2 * (c_i * size + i))] / static_cast<double>(size);
      c[c_i][1] += p[static_cast<std::size_t>(2 * (c_i * size + i) + 1)] / static_cast<double>(size);
    }
  }
  double spread = 0;
  for (Index c_i = 0; c_i < 2; ++c_i) {
    for (Index i = 0; i < size; ++i) {
      const double dx = p[static_cast<std::size_t>(2 * (c_i * size + i))] - c[c_i][0];
      const double dy = p[static_cast<std::size_t>(2 * (c_i * size + i) + 1)] - c[c_i][1];
      spread = std::max(spread, std::sqrt(dx * dx + dy * dy));
    }
  }
  return std::hypot(c[0][0] - c[1][0], c[0][1] - c[1][1]) / spread;
}

static void test_two_cliques_separate() {
  const Index size = 12;
  const EdgeList edges = two_cliques(size);
  for (double theta : {0.0, 0.8}) {
    std::vector<double> positions = start_positions(2 * size);
    force_layout(edges.graph(), positions.data(), ForceLayoutOptions{300, theta, 0.02, 0});
    // Each clique is tighter than the gap between them.
    CHECK(centroid_gap_over_spread(positions, size) > 2.0);
  }
}

static void test_deterministic_and_barnes_hut_close_to_exact() {
  const EdgeList edges = two_cliques(15);
  std::vector<double> a = start_positions(30), b = start_positions(30), exact = start_positions(30);
  force_layout(edges.graph(), a.data(), ForceLayoutOptions{100, 0.5, 0.02, 7});
  force_layout(edges.graph(), b.data(), ForceLayoutOptions{100, 0.5, 0.02, 7});
  CHECK(a == b);
  // Over many iterations the layout of symmetric nodes is chaotic (a 1e-16 difference grows to
  // O(1)), so compare single steps, where the step is the force: Barnes-Hut with theta = 0.3
  // must move every node as the exact forces do, to 1 % of the layout's size.
  for (Index steps : {1, 3}) {
    std::vector<double> approximate = start_positions(30);
    force_layout(edges.graph(), approximate.data(), ForceLayoutOptions{steps, 0.3, 0.02, 7});
    force_layout(edges.graph(), exact.data(), ForceLayoutOptions{steps, 0.0, 0.02, 7});
    double gap = 0, size = 0;
    for (std::size_t i = 0; i < exact.size(); ++i) {
      gap = std::max(gap, std::abs(approximate[i] - exact[i]));
      size = std::max(size, std::abs(exact[i]));
    }
    CHECK(gap < 0.01 * size);
    exact = start_positions(30);
  }
}

static void test_rejects_malformed_graphs() {
  EdgeList edges = two_cliques(3);
  std::vector<double> positions = start_positions(6);
  edges.indices[0] = 99;
  CHECK_THROWS(force_layout(edges.graph(), positions.data(), ForceLayoutOptions{}));
  edges = two_cliques(3);
  edges.weights[1] = -1.0;
  CHECK_THROWS(force_layout(edges.graph(), positions.data(), ForceLayoutOptions{}));
}

// (Independence of the thread count needs more nodes than one parallel chunk: tests/test_graph.py.)
static void test_neighbor_embedding_separates_cliques() {
  const Index size = 12;
  const EdgeList edges = two_cliques(size);
  std::vector<double> one = start_positions(2 * size), two = start_positions(2 * size);
  neighbor_embedding(edges.graph(), nullptr, 0, one.data(), NeighborEmbeddingOptions{});
  neighbor_embedding(edges.graph(), nullptr, 0, two.data(), NeighborEmbeddingOptions{});
  CHECK(one == two);
  CHECK(centroid_gap_over_spread(one, size) > 2.0);
  // Component labels out of range and bad options are refused.
  const std::vector<std::int64_t> labels(static_cast<std::size_t>(2 * size), 1);
  CHECK_THROWS(neighbor_embedding(edges.graph(), labels.data(), 1, one.data(), NeighborEmbeddingOptions{}));
  NeighborEmbeddingOptions bad;
  bad.learning_rate = 0.0;
  CHECK_THROWS(neighbor_embedding(edges.graph(), nullptr, 0, one.data(), bad));
  bad = NeighborEmbeddingOptions{};
  bad.dof = 0.0;
  CHECK_THROWS(neighbor_embedding(edges.graph(), nullptr, 0, one.data(), bad));
  bad = NeighborEmbeddingOptions{};
  bad.repulsion = -1.0;
  CHECK_THROWS(neighbor_embedding(edges.graph(), nullptr, 0, one.data(), bad));
  bad = NeighborEmbeddingOptions{};
  bad.early_exaggeration = 0.5;
  CHECK_THROWS(neighbor_embedding(edges.graph(), nullptr, 0, one.data(), bad));
}

// RMS distance of each clique's points to their own clique's centroid.
static double within_spread(const std::vector<double>& p, Index size) {
  double total = 0;
  for (Index c_i = 0; c_i < 2; ++c_i) {
    double cx = 0, cy = 0;
    for (Index i = 0; i < size; ++i) {
      cx += p[static_cast<std::size_t>(2 * (c_i * size + i))] / static_cast<double>(size);
      cy += p[static_cast<std::size_t>(2 * (c_i * size + i) + 1)] / static_cast<double>(size);
    }
    for (Index i = 0; i < size; ++i) {
      total += std::pow(p[static_cast<std::size_t>(2 * (c_i * size + i))] - cx, 2) +
               std::pow(p[static_cast<std::size_t>(2 * (c_i * size + i) + 1)] - cy, 2);
    }
  }
  return std::sqrt(total / static_cast<double>(2 * size));
}

// Repulsion weighs against attraction: without it each clique collapses to a point, with three
// times t-SNE's balance it spreads wider (measured through Python from this start: RMS 0.005,
// 0.064 and 44); a heavier-tailed kernel (dof < 1) draws each clique tighter against the gap
// between them (gap over largest radius 211 against 44; Kobak et al. 2019).
static void test_neighbor_embedding_kernel_options() {
  const Index size = 12;
  const EdgeList edges = two_cliques(size);
  std::vector<std::vector<double>> maps;
  for (const double repulsion : {0.0, 1.0, 3.0}) {
    NeighborEmbeddingOptions options;
    options.repulsion = repulsion;
    maps.push_back(start_positions(2 * size));
    neighbor_embedding(edges.graph(), nullptr, 0, maps.back().data(), options);
  }
  CHECK(within_spread(maps[0], size) < 0.2 * within_spread(maps[1], size));
  CHECK(within_spread(maps[2], size) > 2.0 * within_spread(maps[1], size));
  NeighborEmbeddingOptions heavy;
  heavy.dof = 0.5;
  std::vector<double> tailed = start_positions(2 * size);
  neighbor_embedding(edges.graph(), nullptr, 0, tailed.data(), heavy);
  CHECK(centroid_gap_over_spread(tailed, size) > 2.0 * centroid_gap_over_spread(maps[1], size));
}

int main() {
  test_two_cliques_separate();
  test_neighbor_embedding_separates_cliques();
  test_neighbor_embedding_kernel_options();
  test_deterministic_and_barnes_hut_close_to_exact();
  test_rejects_malformed_graphs();
  return check::finish();
}
