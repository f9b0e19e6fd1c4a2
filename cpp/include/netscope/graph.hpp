// Weighted graphs as the layouts read them: compressed sparse rows over caller-owned buffers.
#pragma once

#include <netscope/linalg.hpp>

#include <cstdint>
#include <vector>

namespace netscope {

// A graph in compressed sparse row form over n nodes: the neighbours of node i are
// indices[indptr[i] .. indptr[i + 1]) with the matching weights. Symmetric (j lists i when i
// lists j) for an undirected graph.
struct CsrGraph {
  Index n = 0;
  const std::int64_t* indptr = nullptr;   // n + 1
  const std::int64_t* indices = nullptr;  // indptr[n]
  const double* weights = nullptr;        // indptr[n]
};

// Throws std::invalid_argument unless `graph` is well formed: n >= 1, indptr non-decreasing from
// 0, targets in [0, n), weights finite and >= 0. O(n + nnz).
void check_graph(const CsrGraph& graph);

// Nodes grouped by a label in [0, groups): members[offsets[g] .. offsets[g + 1]) are the nodes
// labelled g, in increasing order (a counting sort, O(n + groups)). Throws std::invalid_argument
// for a label out of range.
struct Groups {
  std::vector<std::int64_t> offsets;  // groups + 1
  std::vector<std::int64_t> members;  // n
};
Groups group_nodes(const std::int64_t* labels, Index n, Index groups);

}  // namespace netscope
