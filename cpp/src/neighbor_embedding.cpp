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

// The share of the epochs that runs with the repulsion divided by early_exaggeration: on the
// digits (bench/bench_maps.py) a quarter kept 0.59 of each point's 15 nearest neighbours, no
// early phase 0.57.
constexpr double kEarlyShare = 0.25;

// The sums below read offsets from arrays holding m of them followed by zeros up to a multiple of
// kLanes, and keep kLanes independent partial sums: the compiler vectorises the loops without
// reassociating a sum.
constexpr std::size_t kLanes = 8;
// Draws compared with a node's row at once: one AVX-512 register of 32-bit positions.
constexpr std::size_t kHitLanes = 16;

// Totals of kLanes partial sums, in double.
double total(const float* lanes) {
  double sum = 0.0;
  for (std::size_t lane = 0; lane < kLanes; ++lane) sum += lanes[lane];
  return sum;
}

// A node's pull (x, y), push before the normalisation (x, y), and sum of the kernel over its
// samples.
struct Forces {
  double pull_x = 0.0, pull_y = 0.0, push_x = 0.0, push_y = 0.0, kernel = 0.0;
};

// Arrays of `count` values padded with zeros to whole lanes.
void pad(std::vector<float>& values, std::size_t count) {
  values.resize((count + kLanes - 1) / kLanes * kLanes);
  std::fill(values.begin() + static_cast<std::ptrdiff_t>(count), values.end(), 0.0f);
}

// The kernel q = base^dof with base = 1 / (1 + d2 / dof): the gradient of log q at offset o is
// -2 base o, so the pull of an edge of weight v is -4 v base o (t-SNE's gradient, 4 p q Z o) and
// the push of a pair, before the normalisation, q base o. The Cauchy kernel needs no pow: loops
// of their own keep it vectorised.
template <bool kCauchy>
float kernel(float base, float power) {
  if constexpr (kCauchy) {
    return base;
  } else {
    return std::exp(power * std::log(base));
  }
}

// Over a node's m edges (offsets ox, oy, weights v): the pull sum(-4 v base o) and the push
// sum(q base o). The partial sums live in local arrays, which the compiler knows alias nothing.
template <bool kCauchy>
Forces edge_forces(const float* ox, const float* oy, const float* v, std::size_t m, float dof) {
  const float scale = 1.0f / dof;
  float pull_x[kLanes] = {}, pull_y[kLanes] = {}, push_x[kLanes] = {}, push_y[kLanes] = {};
  for (std::size_t base_index = 0; base_index < m; base_index += kLanes) {
    for (std::size_t lane = 0; lane < kLanes; ++lane) {
      const std::size_t s = base_index + lane;
      const float base = 1.0f / (scale * (ox[s] * ox[s] + oy[s] * oy[s]) + 1.0f);
      const float attraction = -4.0f * v[s] * base, repulsion = kernel<kCauchy>(base, dof) * base;
      pull_x[lane] += attraction * ox[s];
      pull_y[lane] += attraction * oy[s];
      push_x[lane] += repulsion * ox[s];
      push_y[lane] += repulsion * oy[s];
    }
  }
  return {total(pull_x), total(pull_y), total(push_x), total(push_y), 0.0};
}

// Over a node's m negative samples (offsets ox, oy; `far` 1 for a sample that is no neighbour
// and not the node itself, `other` 1 for one that is not the node): the push sum(far q base o),
// and sum(other q) for the estimate of Z.
template <bool kCauchy>
Forces sample_forces(const float* ox, const float* oy, const float* far, const float* other, std::size_t m,
                     float dof) {
  const float scale = 1.0f / dof;
  float push_x[kLanes] = {}, push_y[kLanes] = {}, kernel_sum[kLanes] = {};
  for (std::size_t base_index = 0; base_index < m; base_index += kLanes) {
    for (std::size_t lane = 0; lane < kLanes; ++lane) {
      const std::size_t s = base_index + lane;
      const float base = 1.0f / (scale * (ox[s] * ox[s] + oy[s] * oy[s]) + 1.0f);
      const float q = kernel<kCauchy>(base, dof);
      push_x[lane] += far[s] * q * base * ox[s];
      push_y[lane] += far[s] * q * base * oy[s];
      kernel_sum[lane] += other[s] * q;
    }
  }
  return {0.0, 0.0, total(push_x), total(push_y), total(kernel_sum)};
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
  if (!(options.dof > 0) || !std::isfinite(options.dof)) throw std::invalid_argument("dof must be > 0");
  if (!(options.repulsion >= 0) || !std::isfinite(options.repulsion)) {
    throw std::invalid_argument("repulsion must be >= 0");
  }
  if (!(options.early_exaggeration >= 1) || !std::isfinite(options.early_exaggeration)) {
    throw std::invalid_argument("early_exaggeration must be >= 1");
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

  // Edge weights over the heaviest, in single precision, and 32-bit targets: the state streamed
  // through memory every epoch (nnz reaches 27 million for a million points). `degree` is the
  // mean over the nodes of their rows' sums of those weights, `component_degree` the same mean
  // over each component's nodes.
  const std::int64_t nnz = graph.indptr[n];
  const std::size_t n_groups = groups.offsets.size() - 1;
  std::vector<double> component_degree(n_groups);
  double heaviest = 0.0, weight_total = 0.0;
  for (std::int64_t e = 0; e < nnz; ++e) heaviest = std::max(heaviest, graph.weights[e]);
  std::vector<float> pull_weight(static_cast<std::size_t>(nnz));
  std::vector<std::int32_t> target(static_cast<std::size_t>(nnz));  // the edge's far end, as a position
  for (std::int64_t e = 0; e < nnz; ++e) {
    const auto s = static_cast<std::size_t>(e);
    pull_weight[s] = static_cast<float>(heaviest > 0 ? graph.weights[e] / heaviest : 0.0);
    target[s] = position_of[static_cast<std::size_t>(graph.indices[e])];
  }
  for (std::size_t c = 0; c < n_groups; ++c) {
    for (std::int64_t p = groups.offsets[c]; p < groups.offsets[c + 1]; ++p) {
      const std::int64_t i = order[static_cast<std::size_t>(p)];
      for (std::int64_t e = graph.indptr[i]; e < graph.indptr[i + 1]; ++e) {
        component_degree[c] += pull_weight[static_cast<std::size_t>(e)];
      }
    }
    weight_total += component_degree[c];
    component_degree[c] /= static_cast<double>(groups.offsets[c + 1] - groups.offsets[c]);
  }
  const double degree = n > 0 ? weight_total / static_cast<double>(n) : 0.0;
  // Samples per node and epoch; at least one where any are asked for, so that Z has an estimate.
  const auto draws = static_cast<std::size_t>(
      options.negative_samples == 0
          ? 0
          : std::max<std::int64_t>(1, std::llround(static_cast<double>(options.negative_samples) * degree)));

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
  // Per position, this epoch's pull and its push before the division by Z (2 each), and the sum
  // and count of the kernel over its samples: Z is only known once every node has drawn, so the
  // moves are applied in a second pass.
  std::vector<float> pull(xy.size()), push(xy.size());
  std::vector<double> kernel_sum(static_cast<std::size_t>(n));
  std::vector<std::int32_t> kernel_count(static_cast<std::size_t>(n));
  const auto dof = static_cast<float>(options.dof);
  const bool cauchy = options.dof == 1.0;
  const std::uint64_t stream = splitmix64(options.seed);
  const auto early_epochs = static_cast<Index>(kEarlyShare * static_cast<double>(options.n_epochs));
  for (Index epoch = 0; epoch < options.n_epochs; ++epoch) {
    parallel_for(0, n, 512, [&](Index first, Index last) {
      std::vector<float> ax, ay, v;           // offsets from the node's neighbours, and their weights
      std::vector<float> rx, ry, far, other;  // offsets from its negative samples, and their masks
      std::vector<std::int32_t> drawn, hit;   // the samples' positions, and whether each is a neighbour
      for (Index position = first; position < last; ++position) {
        const auto at = static_cast<std::size_t>(position);
        const std::int64_t i = order[at];
        const float xi = xy[2 * at], yi = xy[2 * at + 1];
        const std::int32_t c = component_at[at];
        const std::int64_t pool_begin = groups.offsets[static_cast<std::size_t>(c)];
        const auto pool_size = static_cast<std::uint64_t>(groups.offsets[static_cast<std::size_t>(c) + 1] - pool_begin);
        const std::int64_t row_begin = graph.indptr[i];
        const auto row = static_cast<std::size_t>(graph.indptr[i + 1] - row_begin);
        const std::int32_t* __restrict targets = target.data() + row_begin;
        pad(ax, row);
        pad(ay, row);
        pad(v, row);
        for (std::size_t t = 0; t < row; ++t) {
          const auto j = static_cast<std::size_t>(targets[t]);
          ax[t] = xi - xy[2 * j];
          ay[t] = yi - xy[2 * j + 1];
          v[t] = pull_weight[static_cast<std::size_t>(row_begin) + t];
        }
        const Forces near = cauchy ? edge_forces<true>(ax.data(), ay.data(), v.data(), row, dof)
                                   : edge_forces<false>(ax.data(), ay.data(), v.data(), row, dof);
        // The node's own random stream for this epoch: the same draws whatever thread runs it.
        // Each 64-bit draw gives two samples: Lemire's multiply-shift maps 32 random bits onto
        // the pool without a division. A sample that is a neighbour (already pushed exactly) or
        // the node itself pushes nothing.
        std::uint64_t draw_state = splitmix64(stream ^ (static_cast<std::uint64_t>(epoch) * 0x9E3779B97F4A7C15ULL +
                                                        static_cast<std::uint64_t>(i)));
        drawn.resize(draws + 1);  // + 1: an odd count's last draw writes one slot beyond
        for (std::size_t p = 0; p < draws; p += 2) {
          draw_state += 0x9E3779B97F4A7C15ULL;
          const std::uint64_t bits = splitmix64(draw_state);
          drawn[p] = static_cast<std::int32_t>(pool_begin + static_cast<std::int64_t>(((bits >> 32) * pool_size) >> 32));
          drawn[p + 1] =
              static_cast<std::int32_t>(pool_begin + static_cast<std::int64_t>(((bits & 0xFFFFFFFFULL) * pool_size) >> 32));
        }
        // Which draws are neighbours: each block of kHitLanes draws against the whole row, the
        // block's flags held in registers (a search of the row per draw took most of the epoch;
        // the row per flag array in memory, a tenth). The padding draws (-1) match no node.
        const std::size_t blocks = (draws + kHitLanes - 1) / kHitLanes;
        drawn.resize(std::max(drawn.size(), blocks * kHitLanes));
        std::fill(drawn.begin() + static_cast<std::ptrdiff_t>(draws), drawn.end(), -1);
        hit.resize(blocks * kHitLanes);
        for (std::size_t block = 0; block < blocks; ++block) {
          const std::int32_t* __restrict candidates = drawn.data() + block * kHitLanes;
          std::int32_t flags[kHitLanes] = {};
          for (std::size_t t = 0; t < row; ++t) {
            const std::int32_t neighbour = targets[t];
            for (std::size_t lane = 0; lane < kHitLanes; ++lane) {
              flags[lane] |= static_cast<std::int32_t>(candidates[lane] == neighbour);
            }
          }
          std::copy(flags, flags + kHitLanes, hit.begin() + static_cast<std::ptrdiff_t>(block * kHitLanes));
        }
        pad(rx, draws);
        pad(ry, draws);
        pad(far, draws);
        pad(other, draws);
        for (std::size_t p = 0; p < draws; ++p) {
          const auto k = static_cast<std::size_t>(drawn[p]);
          rx[p] = xi - xy[2 * k];
          ry[p] = yi - xy[2 * k + 1];
          other[p] = k == at ? 0.0f : 1.0f;
          far[p] = hit[p] ? 0.0f : other[p];
        }
        const Forces sampled = cauchy ? sample_forces<true>(rx.data(), ry.data(), far.data(), other.data(), draws, dof)
                                      : sample_forces<false>(rx.data(), ry.data(), far.data(), other.data(), draws, dof);
        // Each neighbour stands for itself, each of the draws for pool_size / draws nodes; both
        // over the pool_size - 1 others, as Z's estimate below is the mean kernel over pairs.
        const double others = static_cast<double>(pool_size) - 1.0;
        const double near_share = others > 0 ? 1.0 / others : 0.0;
        const double far_share = others > 0 && draws > 0 ? static_cast<double>(pool_size) / (others * static_cast<double>(draws)) : 0.0;
        pull[2 * at] = static_cast<float>(near.pull_x);
        pull[2 * at + 1] = static_cast<float>(near.pull_y);
        push[2 * at] = static_cast<float>(near_share * near.push_x + far_share * sampled.push_x);
        push[2 * at + 1] = static_cast<float>(near_share * near.push_y + far_share * sampled.push_y);
        kernel_sum[at] = sampled.kernel;
        int count = 0;
        for (std::size_t p = 0; p < draws; ++p) count += other[p] > 0.0f;
        kernel_count[at] = count;
      }
    });
    // t-SNE's balance, its push 4 q^2 / Z summed over all pairs against its pull 4 p q over the
    // edges with p = w / sum(w), is reached here, where a component's pulls sum to its degree per
    // node on average, with the push times 4 degree over Z's mean per pair, per component (laid
    // out as if alone). That mean is estimated from the component's samples, summed in position
    // order so that it is the same whatever the threads. No sample (a lone node): no push.
    const double exaggeration = epoch < early_epochs ? options.early_exaggeration : 1.0;
    const auto step = static_cast<float>(options.learning_rate *
                                         (1.0 - static_cast<double>(epoch) / static_cast<double>(options.n_epochs)));
    for (std::size_t c = 0; c < n_groups; ++c) {
      double total = 0.0;
      std::int64_t samples = 0;
      for (std::int64_t p = groups.offsets[c]; p < groups.offsets[c + 1]; ++p) {
        total += kernel_sum[static_cast<std::size_t>(p)];
        samples += kernel_count[static_cast<std::size_t>(p)];
      }
      const auto push_weight = static_cast<float>(
          samples > 0 && total > 0
              ? 4.0 * component_degree[c] * options.repulsion / exaggeration / (total / static_cast<double>(samples))
              : 0.0);
      for (auto s = static_cast<std::size_t>(2 * groups.offsets[c]); s < static_cast<std::size_t>(2 * groups.offsets[c + 1]); ++s) {
        xy[s] += step * (pull[s] + push_weight * push[s]);
      }
    }
  }
  for (Index i = 0; i < n; ++i) {
    const auto at = static_cast<std::size_t>(position_of[static_cast<std::size_t>(i)]);
    positions[2 * i] = xy[2 * at];
    positions[2 * i + 1] = xy[2 * at + 1];
  }
}

}  // namespace netscope
