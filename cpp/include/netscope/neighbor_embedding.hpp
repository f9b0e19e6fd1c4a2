// Neighbour-embedding layout of a weighted undirected graph in 2-D: t-SNE's forces (van der
// Maaten 2014) with its normalisation estimated from negative samples, as in Neg-t-SNE (Damrich
// et al. 2023) and GiDR-DUN (Draganov et al. 2022). With the kernel q(d) = (1 + d^2 / dof)^-dof
// (Cauchy at dof = 1), every edge pulls its ends together along the gradient of log q in
// proportion to its weight, every epoch; each node is pushed away from every other node of its
// component by q(d) times that gradient over Z, the sum of q over all pairs: exactly from its
// graph neighbours (the nodes nearest it in the map, where the push is strongest and sampling it
// would be noisiest), and from the rest through uniform negative samples. Z is estimated each
// epoch from the same samples, so each epoch costs O(nnz + n negative_samples) whatever n is.
//
// Every epoch computes all the moves from the positions at its start and then applies them: both
// cores share the nodes, and the result is the same for a seed whatever the number of threads.
// Negative samples are drawn from the node's own connected component (when components are
// given), so components are laid out as if alone and can be packed afterwards.
#pragma once

#include <netscope/graph.hpp>

#include <cstdint>

namespace netscope {

struct NeighborEmbeddingOptions {
  Index n_epochs = 400;
  double learning_rate = 0.25;  // step at the first epoch, decreasing linearly to 0
  // Repulsive samples per node and epoch, per unit of the nodes' mean degree (the sum of a
  // row's weights over the heaviest weight): as many as UMAP draws, one set per edge it samples.
  Index negative_samples = 5;
  double dof = 1.0;        // the kernel's degrees of freedom: 1 Cauchy, < 1 heavier tails
  double repulsion = 1.0;  // weight of the push against t-SNE's balance (1 / exaggeration)
  // The repulsion over the first kEarlyShare of the epochs is divided by this (t-SNE's early
  // exaggeration): clusters form before they are pushed apart. 1: no early phase.
  double early_exaggeration = 4.0;
  std::uint64_t seed = 0;
};

// Lays out `graph` starting from the row-major (n, 2) `positions`, which it overwrites.
// `components` (n labels in [0, n_components), or nullptr for one component) restricts the
// negative samples of a node to its component. Throws std::invalid_argument for a malformed
// graph, labels or options. Time O(n_epochs (nnz + n m (1 + degree / 8))) with m = the samples
// per node; memory O(n + nnz).
void neighbor_embedding(const CsrGraph& graph, const std::int64_t* components, Index n_components,
                        double* positions, const NeighborEmbeddingOptions& options);

}  // namespace netscope
