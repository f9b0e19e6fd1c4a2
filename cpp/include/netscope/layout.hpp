// Fruchterman-Reingold force-directed layout of a weighted undirected graph in 2-D: weighted
// spring attraction along edges, all-pairs repulsion (exact, or Barnes-Hut on a quadtree), weak
// gravity towards the centre so disconnected parts stay in frame, and a linear cooling schedule
// that caps each step. Deterministic for given inputs and seed, whatever the number of threads.
#pragma once

#include <netscope/graph.hpp>

#include <cstdint>

namespace netscope {

struct ForceLayoutOptions {
  Index n_iter = 500;
  double theta = 1.0;     // Barnes-Hut opening angle (kept neighbourhoods as well as 0.8 in
                          // bench/bench_layout.py, 30 % faster); 0: the exact O(n^2) repulsion
  double gravity = 0.02;  // pull towards the centre, relative to the spring force at rest length
  std::uint64_t seed = 0; // breaks ties between coincident nodes
};

// Lays out `graph` starting from the row-major (n, 2) `positions`, which it overwrites with the
// result (scaled so that the ideal edge length is 1). Throws std::invalid_argument for a
// malformed graph. Time per iteration O(n log n + nnz) with Barnes-Hut, O(n^2 + nnz) exact;
// memory O(n).
void force_layout(const CsrGraph& graph, double* positions, const ForceLayoutOptions& options);

}  // namespace netscope
