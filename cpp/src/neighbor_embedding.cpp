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

// The kernel q(d) = (1 + a d^2 / dof)^-dof: t-SNE's and UMAP's Cauchy kernel 1 / (1 + a d^2) at
// dof = 1 (UMAP's default b = 0.9 was measured to keep neighbourhoods no better on the digits and
// costs a pow), heavier-tailed below 1 (Kobak et al. 2019: finer clusters, more space between).
struct Kernel {
  double a, dof, repulsion;
  struct Sum {
    double x, y;
  };
  // The sums below read offsets from arrays holding m of them followed by zeros up to a multiple
  // of kLanes, and keep kLanes independent partial sums: the compiler vectorises the loops
  // without reassociating a sum.
  static constexpr std::size_t kLanes = 8;
  // Offset arrays sized for `slots` offsets, rounded up to whole lanes.
  static void size_for(std::vector<float>& x, std::vector<float>& y, std::size_t slots) {
    const std::size_t size = (slots + kLanes - 1) / kLanes * kLanes;
    x.resize(size);
    y.resize(size);
  }
  // Zeros after the first `count` offsets, so that the padding adds nothing to the sums.
  static void zero_padding(std::vector<float>& x, std::vector<float>& y, std::size_t count) {
    std::fill(x.begin() + static_cast<std::ptrdiff_t>(count), x.end(), 0.0f);
    std::fill(y.begin() + static_cast<std::ptrdiff_t>(count), y.end(), 0.0f);
  }
  // The attractive gradient of log q summed over offsets (ax, ay) = y_i - y_j of m pulling
  // neighbours: coefficient -2a / (1 + a d2 / dof) of each offset, each coordinate clipped and
  // then doubled (both ends of a sampled edge move in UMAP; here each end's own entry moves it,
  // so doubling keeps UMAP's balance of attraction and repulsion).
  Sum attraction(const float* ax, const float* ay, std::size_t m) const;
  // The repulsive gradient of log(1 - q), times `repulsion`, summed over offsets (rx, ry) =
  // y_i - y_k of m negative samples: coefficient 2a q / (u (1 - q) + 0.001 a) of each offset,
  // u = 1 + a d2 / dof, each coordinate clipped (at dof = 1 that is UMAP's 2 / ((0.001 + d2) u):
  // the 0.001 keeps it finite near coincidence). A zero offset (the node itself, a coincident
  // point, or padding) has no direction and adds nothing.
  Sum repulsion_sum(const float* rx, const float* ry, std::size_t m) const {
    return dof == 1.0 ? repulsion_loop<true>(rx, ry, m) : repulsion_loop<false>(rx, ry, m);
  }

  // The Cauchy kernel's coefficient needs no pow: a loop of its own keeps it vectorised.
  template <bool kCauchy>
  Sum repulsion_loop(const float* rx, const float* ry, std::size_t m) const {
    float sx[kLanes] = {}, sy[kLanes] = {};
    const auto fa = static_cast<float>(a), scale = static_cast<float>(a / dof), power = static_cast<float>(dof);
    const auto weight = static_cast<float>(2.0 * repulsion), bound = static_cast<float>(kClip);
    for (std::size_t base = 0; base < m; base += kLanes) {
      for (std::size_t lane = 0; lane < kLanes; ++lane) {
        const float ox = rx[base + lane], oy = ry[base + lane];
        const float d2 = ox * ox + oy * oy;
        const float u = scale * d2 + 1.0f;
        float push;
        if constexpr (kCauchy) {
          push = weight / ((0.001f + d2) * u);
        } else {
          const float q = std::exp(-power * std::log(u));
          push = weight * fa * q / (u * (1.0f - q) + 0.001f * fa);
        }
        push = d2 > 0.0f ? push : 0.0f;
        sx[lane] += std::max(-bound, std::min(bound, push * ox));
        sy[lane] += std::max(-bound, std::min(bound, push * oy));
      }
    }
    return total(sx, sy);
  }

  static Sum total(const float* sx, const float* sy) {
    double total_x = 0.0, total_y = 0.0;
    for (std::size_t lane = 0; lane < kLanes; ++lane) {
      total_x += sx[lane];
      total_y += sy[lane];
    }
    return {total_x, total_y};
  }
};

Kernel::Sum Kernel::attraction(const float* ax, const float* ay, std::size_t m) const {
  float sx[kLanes] = {}, sy[kLanes] = {};
  const auto fa = static_cast<float>(a), scale = static_cast<float>(a / dof);
  const auto bound = static_cast<float>(kClip);
  for (std::size_t base = 0; base < m; base += kLanes) {
    for (std::size_t lane = 0; lane < kLanes; ++lane) {
      const float ox = ax[base + lane], oy = ay[base + lane];
      const float pull = -2.0f * fa / (scale * (ox * ox + oy * oy) + 1.0f);
      sx[lane] += 2.0f * std::max(-bound, std::min(bound, pull * ox));
      sy[lane] += 2.0f * std::max(-bound, std::min(bound, pull * oy));
    }
  }
  return total(sx, sy);
}

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
  if (!(options.dof > 0) || !std::isfinite(options.dof)) throw std::invalid_argument("dof must be > 0");
  if (!(options.repulsion >= 0) || !std::isfinite(options.repulsion)) {
    throw std::invalid_argument("repulsion must be >= 0");
  }
  const Index n = graph.n;
  // Nodes are renumbered internally so that every component is a contiguous range: a negative
  // sample is then a random position in its node's range, with no lookup, and a component's
  // points sit together in memory. `order[p]` is the node at position p.
  const std::vector<std::int64_t> one_component(static_cast<std::size_t>(components ? 0 : n), 0);
  const Groups groups = components ? group_nodes(components, n, n_components) : group_nodes(one_component.data(), n, 1);
  const std::vector<std::int64_t>& order = groups.members;
  std::vector<std::int32_t> position_of(static_cast<std::size_t>(n)), component_at(static_cast<std::size_t>(n));
  for (std::size_t c = 0; c + 1 < groups.offsets.size(); ++c) {
    for (std::int64_t p = groups.offsets[c]; p < groups.offsets[c + 1]; ++p) {
      position_of[static_cast<std::size_t>(order[static_cast<std::size_t>(p)])] = static_cast<std::int32_t>(p);
      component_at[static_cast<std::size_t>(p)] = static_cast<std::int32_t>(c);
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
  std::vector<std::int32_t> target(static_cast<std::size_t>(nnz));  // the edge's far end, as a position
  for (std::int64_t e = 0; e < nnz; ++e) {
    const auto s = static_cast<std::size_t>(e);
    // A weightless edge is never due (a finite period, so that 0 x period stays 0 below).
    period[s] = static_cast<float>(graph.weights[e] > 0 ? std::min(heaviest / graph.weights[e], 3e38) : 3e38);
    next_due[s] = period[s];
    target[s] = position_of[static_cast<std::size_t>(graph.indices[e])];
  }
  const auto draws_per_pull = static_cast<std::int64_t>(options.negative_samples);

  const Kernel kernel{options.a, options.dof, options.repulsion};
  // Coordinates as float by position, x and y side by side: a random draw's two coordinates share
  // a cache line, and its offsets are gathered into arrays that one vectorised loop turns into
  // forces. Points that start at one spot (symmetric nodes of a spectral layout) get a seeded
  // nudge of 1e-4 of the layout's extent, so that repulsion has a direction to push them apart.
  const auto extent = static_cast<float>(std::max(*std::max_element(positions, positions + 2 * n) -
                                                      *std::min_element(positions, positions + 2 * n), 1.0));
  std::vector<float> xy(static_cast<std::size_t>(2 * n));
  for (Index i = 0; i < n; ++i) {
    for (Index axis = 0; axis < 2; ++axis) {
      const std::uint64_t bits = splitmix64(splitmix64(options.seed) ^ static_cast<std::uint64_t>(2 * i + axis));
      xy[static_cast<std::size_t>(2 * position_of[static_cast<std::size_t>(i)] + axis)] =
          static_cast<float>(positions[2 * i + axis]) +
          1e-4f * extent * (static_cast<float>(bits >> 40) / static_cast<float>(1 << 24) - 0.5f);
    }
  }
  std::vector<float> next(xy.size());
  const std::uint64_t stream = splitmix64(options.seed);
  for (Index epoch = 0; epoch < options.n_epochs; ++epoch) {
    const double step = options.learning_rate * (1.0 - static_cast<double>(epoch) / static_cast<double>(options.n_epochs));
    const auto now = static_cast<float>(epoch + 1);
    parallel_for(0, n, 512, [&](Index first, Index last) {
      std::vector<float> rx, ry;  // the node's offsets from its negative samples
      std::vector<float> ax, ay;  // and from the neighbours that pull it this epoch
      std::vector<std::int32_t> pulled;
      for (Index position = first; position < last; ++position) {
        const auto at = static_cast<std::size_t>(position);
        const std::int64_t i = order[at];
        const float xi = xy[2 * at], yi = xy[2 * at + 1];
        const std::int32_t c = component_at[at];
        const std::int64_t pool_begin = groups.offsets[static_cast<std::size_t>(c)];
        const auto pool_size = static_cast<std::uint64_t>(groups.offsets[static_cast<std::size_t>(c) + 1] - pool_begin);
        // The edges due this epoch, compacted without a branch (which edge is due is random, so a
        // branch would mispredict often), then their pulls in one vectorised loop.
        const std::int64_t row_begin = graph.indptr[i], row_end = graph.indptr[i + 1];
        const auto degree = static_cast<std::size_t>(row_end - row_begin);
        pulled.resize(degree);
        const float* __restrict periods = period.data() + row_begin;
        float* __restrict due_at = next_due.data() + row_begin;
        const std::int32_t* __restrict targets = target.data() + row_begin;
        std::int32_t* __restrict due_targets = pulled.data();
        std::size_t due_count = 0;
        for (std::size_t t = 0; t < degree; ++t) {
          const std::size_t due = due_at[t] <= now;  // 0 or 1, used as a number
          due_at[t] += periods[t] * static_cast<float>(due);
          due_targets[due_count] = targets[t];
          due_count += due;
        }
        Kernel::size_for(ax, ay, due_count);
        for (std::size_t p = 0; p < due_count; ++p) {
          const auto j = static_cast<std::size_t>(pulled[p]);
          ax[p] = xi - xy[2 * j];
          ay[p] = yi - xy[2 * j + 1];
        }
        Kernel::zero_padding(ax, ay, due_count);
        const Kernel::Sum pull = kernel.attraction(ax.data(), ay.data(), due_count);
        // The node's own random stream for this epoch: the same draws whatever thread runs it.
        // Each 64-bit draw gives two samples: Lemire's multiply-shift maps 32 random bits onto
        // the pool without a division.
        std::uint64_t draw_state = splitmix64(stream ^ (static_cast<std::uint64_t>(epoch) * 0x9E3779B97F4A7C15ULL +
                                                        static_cast<std::uint64_t>(i)));
        const auto count = static_cast<std::size_t>(static_cast<std::int64_t>(due_count) * draws_per_pull);
        Kernel::size_for(rx, ry, count + 1);  // + 1: an odd count's last draw writes one slot beyond
        for (std::size_t p = 0; p < count; p += 2) {
          draw_state += 0x9E3779B97F4A7C15ULL;
          const std::uint64_t bits = splitmix64(draw_state);
          const auto k0 = static_cast<std::size_t>(pool_begin) + static_cast<std::size_t>(((bits >> 32) * pool_size) >> 32);
          const auto k1 = static_cast<std::size_t>(pool_begin) + static_cast<std::size_t>(((bits & 0xFFFFFFFFULL) * pool_size) >> 32);
          rx[p] = xi - xy[2 * k0];
          ry[p] = yi - xy[2 * k0 + 1];
          rx[p + 1] = xi - xy[2 * k1];
          ry[p + 1] = yi - xy[2 * k1 + 1];
        }
        Kernel::zero_padding(rx, ry, count);  // the odd count's extra draw too
        const Kernel::Sum push = kernel.repulsion_sum(rx.data(), ry.data(), count);
        // The node's whole move is clipped like one pair's: the moves of an epoch all come from
        // its start, so many near-coincident samples would otherwise add up to a leap.
        next[2 * at] = static_cast<float>(xi + step * clip(pull.x + push.x));
        next[2 * at + 1] = static_cast<float>(yi + step * clip(pull.y + push.y));
      }
    });
    xy.swap(next);
  }
  for (Index i = 0; i < n; ++i) {
    const auto at = static_cast<std::size_t>(position_of[static_cast<std::size_t>(i)]);
    positions[2 * i] = xy[2 * at];
    positions[2 * i + 1] = xy[2 * at + 1];
  }
}

}  // namespace netscope
