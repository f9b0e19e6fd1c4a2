#include <netscope/graph.hpp>

#include <cmath>
#include <stdexcept>
#include <string>

namespace netscope {

void check_graph(const CsrGraph& graph) {
  if (graph.n < 1) throw std::invalid_argument("graph must have at least one node");
  if (graph.indptr[0] != 0) throw std::invalid_argument("graph: indptr must start at 0");
  for (Index i = 0; i < graph.n; ++i) {
    if (graph.indptr[i + 1] < graph.indptr[i]) throw std::invalid_argument("graph: indptr must be non-decreasing");
  }
  const std::int64_t nnz = graph.indptr[graph.n];
  for (std::int64_t e = 0; e < nnz; ++e) {
    if (graph.indices[e] < 0 || graph.indices[e] >= graph.n) {
      throw std::invalid_argument("graph: edge target " + std::to_string(graph.indices[e]) + " out of range");
    }
    if (!(graph.weights[e] >= 0.0) || !std::isfinite(graph.weights[e])) {
      throw std::invalid_argument("graph: edge weights must be finite and >= 0");
    }
  }
}

Groups group_nodes(const std::int64_t* labels, Index n, Index groups) {
  Groups result;
  result.offsets.assign(static_cast<std::size_t>(groups + 1), 0);
  for (Index i = 0; i < n; ++i) {
    if (labels[i] < 0 || labels[i] >= groups) {
      throw std::invalid_argument("labels must lie in [0, " + std::to_string(groups) + "), got " +
                                  std::to_string(labels[i]));
    }
    ++result.offsets[static_cast<std::size_t>(labels[i] + 1)];
  }
  for (Index g = 0; g < groups; ++g) result.offsets[static_cast<std::size_t>(g + 1)] += result.offsets[static_cast<std::size_t>(g)];
  result.members.resize(static_cast<std::size_t>(n));
  std::vector<std::int64_t> next(result.offsets.begin(), result.offsets.end() - 1);
  for (Index i = 0; i < n; ++i) result.members[static_cast<std::size_t>(next[static_cast<std::size_t>(labels[i])]++)] = i;
  return result;
}

}  // namespace netscope
