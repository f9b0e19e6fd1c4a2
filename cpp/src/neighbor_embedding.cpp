#include <netscope/neighbor_embedding.hpp>
#include <netscope/parallel.hpp>
#include <netscope/random.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

namespace netscope {
namespace {

// UMAP's bound on every coordinate of one pair's move: keeps a near-coincident pair from
// throwing a point across the map.
constexpr double kClip = 4.0;

double clip(double value) { return std::max(-kClip, std::min(kClip, value)); }

// The Cauchy kernel q(d) = 1 / (1 + a d^2) of t-SNE (a = 1) and of UMAP with b = 1; UMAP's
// default b = 0.9 was measured to keep neighbourhoods no better on the digits and costs a pow.
struct Kernel {
  double a;
  // Coefficient c of (y_i - y_j) in the attractive gradient of log q: c < 0 pulls i towards j.
  double attraction(double d2) const { return -2.0 * a / (a * d2 + 1.0); }
  // The repulsive gradient of log(1 - q) summed over offsets (rx, ry) = y_i - y_k of m negative
  // samples: coefficient 2 / ((0.001 + d2)(1 + a d2)) of each offset (the 0.001 keeps it finite
  // near coincidence, as in UMAP), each coordinate clipped. A zero offset (the node itself, or a
  // coincident point) has no direction and adds nothing.
  struct Sum {
    double x, y;
  };
  // rx and ry hold m offsets followed by zeros up to a multiple of kLanes.
  static constexpr std::size_t kLanes = 8;
  Sum repulsion(const float* rx, const float* ry, std::size_t m) const {
    // kLanes independent partial sums over contiguous lanes: the compiler vectorises the loop
    // without reassociating a sum.
    float sx[kLanes] = {}, sy[kLanes] = {};
    const auto fa = static_cast<float>(a), bound = static_cast<float>(kClip);
    for (std::size_t base = 0; base < m; base += kLanes) {
      for (std::size_t lane = 0; lane < kLanes; ++lane) {
        const float ox = rx[base + lane], oy = ry[base + lane];
        const float d2 = ox * ox + oy * oy;
        const float push = d2 > 0.0f ? 2.0f / ((0.001f + d2) * (fa * d2 + 1.0f)) : 0.0f;
        sx[lane] += std::max(-bound, std::min(bound, push * ox));
        sy[lane] += std::max(-bound, std::min(bound, push * oy));
      }
    }
    double total_x = 0.0, total_y = 0.0;
    for (std::size_t lane = 0; lane < kLanes; ++lane) {
      total_x += sx[lane];
      total_y += sy[lane];
    }
    return {total_x, total_y};
  }
};

}  // namespace

void neighbor_embedding(const CsrGraph& graph, const std::int64_t* components, Index n_components,
                        double* positions, const NeighborEmbeddingOptions& options) {
  check_graph(graph);
  if (options.n_epochs < 0) throw std::invalid_argument("n_epochs must be >= 0");
  if (!(options.learning_rate > 0) || !std::isfinite(options.learning_rate)) {
    throw std::invalid_argument("learning_rate must be > 0");
  }
  if (options.negative_samples < 0) throw std::invalid_argument("negative_samples must be >= 0");
  if (graph.n > std::numeric_limits<std::int32_t>::max()) throw std::invalid_argument("graph: at most 2^31 - 1 nodes");
  if (!(options.a > 0) || !std::isfinite(options.a)) throw std::invalid_argument("kernel parameter a must be > 0");
  const Index n = graph.n;
  const std::vector<std::int64_t> one_component(static_cast<std::size_t>(components ? 0 : n), 0);
  const Groups groups = components ? group_nodes(components, n, n_components) : group_nodes(one_component.data(), n, 1);
  std::vector<std::int64_t> component_of(static_cast<std::size_t>(n));
  for (Index c = 0; c + 1 < static_cast<Index>(groups.offsets.size()); ++c) {
    for (std::int64_t m = groups.offsets[static_cast<std::size_t>(c)]; m < groups.offsets[static_cast<std::size_t>(c + 1)]; ++m) {
      component_of[static_cast<std::size_t>(groups.members[static_cast<std::size_t>(m)])] = c;
    }
  }

  // Edge e is due every `period[e]` epochs (1 for the heaviest edge), and each time it pulls it
  // draws negative_samples repulsive partners for its source. Single precision and 32-bit targets
  // halve the state streamed through memory every epoch (nnz reaches 27 million for a million
  // points); epochs count to a few thousand, far inside float's exact integers.
  const std::int64_t nnz = graph.indptr[n];
  double heaviest = 0.0;
  for (std::int64_t e = 0; e < nnz; ++e) heaviest = std::max(heaviest, graph.weights[e]);
  std::vector<float> period(static_cast<std::size_t>(nnz)), next_due(static_cast<std::size_t>(nnz));
  std::vector<std::int32_t> target(static_cast<std::size_t>(nnz));
  for (std::int64_t e = 0; e < nnz; ++e) {
    const auto s = static_cast<std::size_t>(e);
    period[s] = graph.weights[e] > 0 ? static_cast<float>(heaviest / graph.weights[e]) : std::numeric_limits<float>::infinity();
    next_due[s] = period[s];
    target[s] = static_cast<std::int32_t>(graph.indices[e]);
  }
  const auto draws_per_pull = static_cast<std::int64_t>(options.negative_samples);

  const Kernel kernel{options.a};
  // Coordinates as float, x and y side by side: a random draw's two coordinates share a cache
  // line, and its offsets are gathered into arrays that one vectorised loop turns into forces.
  std::vector<float> xy(positions, positions + 2 * n);
  // Points that start at one spot (symmetric nodes of a spectral layout) get a seeded nudge of
  // 1e-4 of the layout's extent, so that repulsion has a direction to push them apart.
  const auto extent = static_cast<float>(std::max(*std::max_element(positions, positions + 2 * n) -
                                                      *std::min_element(positions, positions + 2 * n), 1.0));
  for (std::size_t c = 0; c < xy.size(); ++c) {
    const std::uint64_t bits = splitmix64(splitmix64(options.seed) ^ c);
    xy[c] += 1e-4f * extent * (static_cast<float>(bits >> 40) / static_cast<float>(1 << 24) - 0.5f);
  }
  std::vector<float> next(xy.size());
  // One component: the pool is every node in order, and a draw is its own index.
  const bool whole_graph = groups.offsets.size() == 2;
  const std::uint64_t stream = splitmix64(options.seed);
  for (Index epoch = 0; epoch < options.n_epochs; ++epoch) {
    const double step = options.learning_rate * (1.0 - static_cast<double>(epoch) / static_cast<double>(options.n_epochs));
    const auto now = static_cast<float>(epoch + 1);
    parallel_for(0, n, 512, [&](Index first, Index last) {
      std::vector<float> rx, ry;  // the node's offsets from its negative samples
      for (Index i = first; i < last; ++i) {
        const auto node = static_cast<std::size_t>(i);
        const float xi = xy[2 * node], yi = xy[2 * node + 1];
        const std::int64_t c = component_of[node];
        const std::int64_t pool_begin = groups.offsets[static_cast<std::size_t>(c)];
        const auto pool_size = static_cast<std::uint64_t>(groups.offsets[static_cast<std::size_t>(c + 1)] - pool_begin);
        double gx = 0.0, gy = 0.0;
        std::int64_t draws = 0;
        for (std::int64_t e = graph.indptr[i]; e < graph.indptr[i + 1]; ++e) {
          const auto s = static_cast<std::size_t>(e);
          if (next_due[s] > now) continue;
          next_due[s] += period[s];
          const auto j = static_cast<std::size_t>(target[s]);
          const double dx = xi - xy[2 * j], dy = yi - xy[2 * j + 1];
          // Both ends of a sampled edge move in UMAP; here each end's own entry moves it, so
          // the pull is doubled to keep UMAP's balance of attraction and repulsion.
          const double pull = kernel.attraction(dx * dx + dy * dy);
          gx += 2.0 * clip(pull * dx);
          gy += 2.0 * clip(pull * dy);
          draws += draws_per_pull;
        }
        // The node's own random stream for this epoch: the same draws whatever thread runs it.
        std::uint64_t draw_state = splitmix64(stream ^ (static_cast<std::uint64_t>(epoch) * 0x9E3779B97F4A7C15ULL +
                                                        static_cast<std::uint64_t>(i)));
        const auto count = static_cast<std::size_t>(draws);
        const std::size_t padded = (count + Kernel::kLanes - 1) / Kernel::kLanes * Kernel::kLanes;
        rx.resize(padded);
        ry.resize(padded);
        std::fill(rx.begin() + static_cast<std::ptrdiff_t>(count), rx.end(), 0.0f);
        std::fill(ry.begin() + static_cast<std::ptrdiff_t>(count), ry.end(), 0.0f);
        for (std::size_t p = 0; p < count; ++p) {
          draw_state += 0x9E3779B97F4A7C15ULL;
          // Lemire's multiply-shift maps 32 random bits onto the pool without a division.
          const std::uint64_t slot = ((splitmix64(draw_state) >> 32) * pool_size) >> 32;
          const auto k = whole_graph ? static_cast<std::size_t>(slot)
                                     : static_cast<std::size_t>(groups.members[static_cast<std::size_t>(pool_begin) + slot]);
          rx[p] = xi - xy[2 * k];
          ry[p] = yi - xy[2 * k + 1];
        }
        const Kernel::Sum push = kernel.repulsion(rx.data(), ry.data(), count);
        // The node's whole move is clipped like one pair's: the moves of an epoch all come from
        // its start, so many near-coincident samples would otherwise add up to a leap.
        next[2 * node] = static_cast<float>(xi + step * clip(gx + push.x));
        next[2 * node + 1] = static_cast<float>(yi + step * clip(gy + push.y));
      }
    });
    xy.swap(next);
  }
  std::copy(xy.begin(), xy.end(), positions);
}

}  // namespace netscope
