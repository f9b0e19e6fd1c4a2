#include <netscope/graph.hpp>
#include <netscope/parallel.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>

namespace netscope {
namespace {

// Rows are handed to the threads in chunks of this many.
constexpr Index kRowGrain = 4096;

// The kNN lists and their reverse: who lists i (sorted, a source once per listing).
struct KnnLists {
  const std::int64_t* neighbours;
  const double* weights;
  Index n, k;
  std::vector<std::int64_t> reverse_offsets;  // n + 1
  std::vector<std::int32_t> reverse_sources;  // n k

  // The weight `source` gives `target` (the larger one if it lists it twice), 0 if it does not.
  double weight(std::int64_t source, std::int64_t target) const {
    double best = 0.0;
    for (Index t = source * k; t < (source + 1) * k; ++t) {
      if (neighbours[t] == target) best = std::max(best, weights[t]);
    }
    return best;
  }
};

// Calls emit(j, w) for the edges of row i of the undirected graph, in increasing j, with w > 0.
// `row` is scratch space. `isolated` (kMutual only) marks the points that no mutual pair reaches.
template <class Emit>
void symmetric_row(const KnnLists& lists, Index i, Symmetrize mode, const std::vector<char>& isolated,
                   std::vector<std::pair<std::int64_t, double>>& row, Emit&& emit) {
  const Index k = lists.k;
  row.clear();
  for (Index t = i * k; t < (i + 1) * k; ++t) row.emplace_back(lists.neighbours[t], lists.weights[t]);
  std::sort(row.begin(), row.end());  // by target, a duplicate's larger weight last
  const std::int32_t* in = lists.reverse_sources.data() + lists.reverse_offsets[static_cast<std::size_t>(i)];
  const std::int32_t* in_end = lists.reverse_sources.data() + lists.reverse_offsets[static_cast<std::size_t>(i) + 1];
  const std::int64_t nearest = lists.neighbours[i * k];
  const bool keeps_nearest = mode == Symmetrize::kMutual && isolated[static_cast<std::size_t>(i)];
  auto out = row.begin();
  while (out != row.end() || in != in_end) {
    const std::int64_t out_target = out != row.end() ? out->first : std::numeric_limits<std::int64_t>::max();
    const std::int64_t in_source = in != in_end ? *in : std::numeric_limits<std::int64_t>::max();
    const std::int64_t j = std::min(out_target, in_source);
    double forward = 0.0;  // w_ij
    for (; out != row.end() && out->first == j; ++out) forward = out->second;
    const bool listed_by_j = in_source == j;
    while (in != in_end && *in == j) ++in;
    const double backward = listed_by_j ? lists.weight(j, i) : 0.0;  // w_ji
    const bool lists_j = out_target == j;
    double w = 0.0;
    if (mode == Symmetrize::kFuzzyUnion) {
      w = forward + backward - forward * backward;
    } else if (mode == Symmetrize::kMaxUnion) {
      w = std::max(forward, backward);
    } else if (lists_j && listed_by_j) {
      w = std::min(forward, backward);
    } else if (lists_j && keeps_nearest && j == nearest) {
      w = lists.weights[i * k];
    } else if (listed_by_j && isolated[static_cast<std::size_t>(j)] && lists.neighbours[j * k] == i) {
      w = lists.weights[j * k];
    }
    if (w > 0.0) emit(j, w);
  }
}

}  // namespace

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

OwnedCsr symmetrize_knn(const std::int64_t* neighbours, const double* weights, Index n, Index k, Symmetrize mode) {
  if (n < 1 || k < 1) throw std::invalid_argument("symmetrize_knn: need n >= 1 points and k >= 1 neighbours");
  if (n > std::numeric_limits<std::int32_t>::max()) throw std::invalid_argument("symmetrize_knn: at most 2^31 - 1 points");
  KnnLists lists{neighbours, weights, n, k, std::vector<std::int64_t>(static_cast<std::size_t>(n + 1), 0), {}};
  for (Index e = 0; e < n * k; ++e) {
    if (neighbours[e] < 0 || neighbours[e] >= n) {
      throw std::invalid_argument("neighbours: entry " + std::to_string(neighbours[e]) + " out of range");
    }
    if (neighbours[e] == e / k) throw std::invalid_argument("neighbours: point " + std::to_string(e / k) + " lists itself");
    if (!(weights[e] >= 0.0) || !std::isfinite(weights[e])) throw std::invalid_argument("weights must be finite and >= 0");
    ++lists.reverse_offsets[static_cast<std::size_t>(neighbours[e] + 1)];
  }
  for (Index i = 0; i < n; ++i) lists.reverse_offsets[static_cast<std::size_t>(i + 1)] += lists.reverse_offsets[static_cast<std::size_t>(i)];
  // Filled in order of the source, so that every reverse list comes out sorted.
  lists.reverse_sources.resize(static_cast<std::size_t>(n * k));
  {
    std::vector<std::int64_t> next(lists.reverse_offsets.begin(), lists.reverse_offsets.end() - 1);
    for (Index e = 0; e < n * k; ++e) {
      lists.reverse_sources[static_cast<std::size_t>(next[static_cast<std::size_t>(neighbours[e])]++)] =
          static_cast<std::int32_t>(e / k);
    }
  }
  // Row sizes first (for kMutual after a pass that finds the isolated points), then the rows.
  std::vector<char> isolated(static_cast<std::size_t>(mode == Symmetrize::kMutual ? n : 0), 0);
  OwnedCsr csr;
  csr.indptr.setZero(n + 1);
  const auto count_rows = [&](Index first, Index last) {
    std::vector<std::pair<std::int64_t, double>> row;
    for (Index i = first; i < last; ++i) {
      std::int64_t count = 0;
      symmetric_row(lists, i, mode, isolated, row, [&](std::int64_t, double) { ++count; });
      csr.indptr[i + 1] = count;
    }
  };
  if (mode == Symmetrize::kMutual) {
    parallel_for(0, n, kRowGrain, count_rows);
    for (Index i = 0; i < n; ++i) isolated[static_cast<std::size_t>(i)] = csr.indptr[i + 1] == 0;
  }
  parallel_for(0, n, kRowGrain, count_rows);
  for (Index i = 0; i < n; ++i) csr.indptr[i + 1] += csr.indptr[i];
  csr.indices.resize(csr.indptr[n]);
  csr.weights.resize(csr.indptr[n]);
  parallel_for(0, n, kRowGrain, [&](Index first, Index last) {
    std::vector<std::pair<std::int64_t, double>> row;
    for (Index i = first; i < last; ++i) {
      std::int64_t at = csr.indptr[i];
      symmetric_row(lists, i, mode, isolated, row, [&](std::int64_t j, double w) {
        csr.indices[at] = static_cast<std::int32_t>(j);
        csr.weights[at++] = w;
      });
    }
  });
  return csr;
}

double max_asymmetry(const CsrGraph& graph) {
  check_graph(graph);  // every row then lies inside the arrays, so a search of row j stays in bounds
  double largest = 0.0;
  std::mutex merge;
  parallel_for(0, graph.n, kRowGrain, [&](Index first, Index last) {
    double local = 0.0;
    for (Index i = first; i < last; ++i) {
      for (std::int64_t e = graph.indptr[i]; e < graph.indptr[i + 1]; ++e) {
        const std::int64_t j = graph.indices[e];
        if (e > graph.indptr[i] && j <= graph.indices[e - 1]) {
          throw std::invalid_argument("graph: the targets of row " + std::to_string(i) + " are not strictly increasing");
        }
        const std::int32_t* row = graph.indices + graph.indptr[j];
        const std::int32_t* row_end = graph.indices + graph.indptr[j + 1];
        const std::int32_t* found = std::lower_bound(row, row_end, static_cast<std::int32_t>(i));
        const double back = found != row_end && *found == i ? graph.weights[graph.indptr[j] + (found - row)] : 0.0;
        local = std::max(local, std::abs(graph.weights[e] - back));
      }
    }
    const std::lock_guard<std::mutex> lock(merge);  // max is exact and commutative: any order gives one result
    largest = std::max(largest, local);
  });
  return largest;
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
