// Weighted graphs as the layouts read them: compressed sparse rows over caller-owned buffers.
#pragma once

#include <netscope/linalg.hpp>

#include <cstdint>
#include <vector>

namespace netscope {

// A graph in compressed sparse row form over n < 2^31 nodes: the neighbours of node i are
// indices[indptr[i] .. indptr[i + 1]) with the matching weights. Symmetric (j lists i when i
// lists j) for an undirected graph. 32-bit targets, as scipy's CSR holds them, so that a layout
// reads the caller's arrays in place (a million points' 27 million edges: 108 MB, not 216 MB).
struct CsrGraph {
  Index n = 0;
  const std::int64_t* indptr = nullptr;   // n + 1
  const std::int32_t* indices = nullptr;  // indptr[n]
  const double* weights = nullptr;        // indptr[n]
};

// A CSR graph that owns its arrays (Eigen vectors, which the bindings hand to numpy uncopied).
struct OwnedCsr {
  Vector<std::int64_t> indptr;   // n + 1
  Vector<std::int32_t> indices;  // indptr[n], increasing within each row
  Vector<double> weights;        // indptr[n], all > 0
};

// Throws std::invalid_argument unless `graph` is well formed: n >= 1, indptr non-decreasing from
// 0, targets in [0, n), weights finite and >= 0. O(n + nnz).
void check_graph(const CsrGraph& graph);

// How symmetrize_knn joins the two directions of an edge: the union of the kNN relation with
// weights w + w' - w w' (UMAP's fuzzy union; a direction that is absent counts as 0) or
// max(w, w'), or the mutual pairs only with weight min(w, w').
enum class Symmetrize { kFuzzyUnion, kMaxUnion, kMutual };

// The undirected graph of the directed kNN relation: row i of the row-major (n, k) `neighbours`
// (each in [0, n), never i, nearest first) lists the points i points to, with the matching
// `weights` (finite, >= 0). A target listed twice in one row keeps its larger weight. With
// kMutual a point left with no edge keeps the one to its nearest neighbour, in both directions.
// Edges of weight 0 are dropped; every row comes out sorted. Deterministic (the same arrays
// whatever the number of threads). Throws std::invalid_argument for a target out of range or a
// self loop. Time O(n k (k + log k)), both cores; memory: the result, plus 4 n k + 8 n bytes
// for the reverse lists.
OwnedCsr symmetrize_knn(const std::int64_t* neighbours, const double* weights, Index n, Index k, Symmetrize mode);

// The largest |w_ij - w_ji| of a CSR graph whose rows are sorted by target, an edge that only one
// end lists counting with its whole weight: 0 exactly when the graph is symmetric. Read in place,
// no transpose built. Throws std::invalid_argument for a graph check_graph refuses or a row whose
// targets are not strictly increasing. Time O(nnz log(max degree)), both cores; memory O(1) per thread.
double max_asymmetry(const CsrGraph& graph);

// Nodes grouped by a label in [0, groups): members[offsets[g] .. offsets[g + 1]) are the nodes
// labelled g, in increasing order (a counting sort, O(n + groups)). Throws std::invalid_argument
// for a label out of range.
struct Groups {
  std::vector<std::int64_t> offsets;  // groups + 1
  std::vector<std::int64_t> members;  // n
};
Groups group_nodes(const std::int64_t* labels, Index n, Index groups);

}  // namespace netscope
