// Neighbour-embedding layout of a weighted undirected graph in 2-D, in the UMAP family (McInnes,
// Healy & Melville 2018): with the Cauchy kernel q(d) = 1 / (1 + a d^2), edges pull their ends
// together along the gradient of log q, and points sampled at random push each other apart along
// that of log(1 - q) ("negative sampling"), so each epoch costs O(nnz) whatever n is.
// Edge (i, j) is sampled in proportion to its weight, every epoch for the heaviest edge.
//
// Unlike UMAP's sequential stochastic updates, every epoch computes all the moves from the
// positions at its start and then applies them (as GiDR-DUN does, Draganov et al. 2022): both
// cores share the nodes, and the result is the same for a seed whatever the number of threads.
// Negative samples are drawn from the node's own connected component (when components are
// given), so components are laid out as if alone and can be packed afterwards.
#pragma once

#include <netscope/graph.hpp>

#include <cstdint>

namespace netscope {

struct NeighborEmbeddingOptions {
  Index n_epochs = 200;
  double learning_rate = 0.25;   // step at the first epoch, decreasing linearly to 0
  Index negative_samples = 10;   // repulsive samples per sampled edge
  double a = 1.0;                // kernel (1 + a d^2 / dof)^-dof: a > 1 draws tighter clusters
  double dof = 1.0;              // the kernel's degrees of freedom: 1 Cauchy, < 1 heavier tails
  double repulsion = 1.0;        // weight of each negative sample's push (UMAP's repulsion_strength)
  std::uint64_t seed = 0;
};

// Lays out `graph` starting from the row-major (n, 2) `positions`, which it overwrites.
// `components` (n labels in [0, n_components), or nullptr for one component) restricts the
// negative samples of a node to its component. Throws std::invalid_argument for a malformed
// graph, labels or options. Time O(n_epochs (nnz (1 + negative_samples) + n)); memory O(n + nnz).
void neighbor_embedding(const CsrGraph& graph, const std::int64_t* components, Index n_components,
                        double* positions, const NeighborEmbeddingOptions& options);

}  // namespace netscope
