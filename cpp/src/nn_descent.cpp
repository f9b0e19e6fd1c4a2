#include <netscope/nn_descent.hpp>
#include <netscope/parallel.hpp>
#include <netscope/random.hpp>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

namespace netscope {
namespace {

// Points whose joins are proposed against the graph as it stands before the proposals are merged:
// fixed, so the rounds do not depend on the number of threads.
constexpr Index kBlock = 16384;
constexpr Index kGrain = 256;  // points a thread joins at a time (one proposal buffer each)

// In the points' own precision, which Eigen vectorises (float: 2-3x the double loop's speed); every
// comparison of the refinement uses this one formula, so its ties and repeats are consistent.
template <class T>
double squared_distance(const T* a, const T* b, Index d) {
  using Row = Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, 1>>;
  return static_cast<double>((Row(a, d) - Row(b, d)).squaredNorm());
}

// The draw that ranks `other` in `point`'s samples of a round: the lowest draws are kept.
std::uint64_t draw(std::uint64_t seed, Index round, std::int64_t point, std::int64_t other) {
  std::uint64_t x = splitmix64(seed ^ (static_cast<std::uint64_t>(round) * 0x9E3779B97F4A7C15ULL));
  x = splitmix64(x ^ static_cast<std::uint64_t>(point));
  return splitmix64(x ^ static_cast<std::uint64_t>(other));
}

// Keeps the `count` ids of `ids` with the lowest draws (all of them when fewer).
void sample(std::vector<std::int64_t>& ids, std::size_t count, std::uint64_t seed, Index round, std::int64_t point) {
  if (ids.size() <= count) return;
  auto lower = [&](std::int64_t a, std::int64_t b) {
    const std::uint64_t da = draw(seed, round, point, a), db = draw(seed, round, point, b);
    return da != db ? da < db : a < b;
  };
  std::nth_element(ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(count), ids.end(), lower);
  ids.resize(count);
}

void append_unique(std::vector<std::int64_t>& to, const std::vector<std::int64_t>& from) {
  for (std::int64_t id : from) {
    if (std::find(to.begin(), to.end(), id) == to.end()) to.push_back(id);
  }
}

struct Proposal {
  std::int64_t target;
  double distance;
  std::int64_t source;
};

// Per point, the points that list it: CSR arrays over the (n, width) `lists` with `counts` used.
struct Reverse {
  std::vector<std::int64_t> offsets, members;
};
Reverse reverse_lists(const std::vector<std::int64_t>& lists, const std::vector<std::int64_t>& counts, Index n,
                      Index width) {
  Reverse reverse;
  reverse.offsets.assign(static_cast<std::size_t>(n + 1), 0);
  for (Index v = 0; v < n; ++v) {
    for (std::int64_t j = 0; j < counts[static_cast<std::size_t>(v)]; ++j) {
      ++reverse.offsets[static_cast<std::size_t>(lists[static_cast<std::size_t>(v * width + j)] + 1)];
    }
  }
  for (Index v = 0; v < n; ++v) reverse.offsets[static_cast<std::size_t>(v + 1)] += reverse.offsets[static_cast<std::size_t>(v)];
  reverse.members.resize(static_cast<std::size_t>(reverse.offsets.back()));
  std::vector<std::int64_t> next(reverse.offsets.begin(), reverse.offsets.end() - 1);
  for (Index v = 0; v < n; ++v) {  // in order of v: the members of each list are ascending
    for (std::int64_t j = 0; j < counts[static_cast<std::size_t>(v)]; ++j) {
      const std::int64_t u = lists[static_cast<std::size_t>(v * width + j)];
      reverse.members[static_cast<std::size_t>(next[static_cast<std::size_t>(u)]++)] = v;
    }
  }
  return reverse;
}

}  // namespace

template <class T>
NnDescentReport nn_descent(const T* points, Index n, Index d, KnnResult& graph, const NnDescentOptions& options) {
  const Index k = graph.indices.cols();
  if (graph.indices.rows() != n || graph.distances.rows() != n || graph.distances.cols() != k || k < 1 || k >= n) {
    throw std::invalid_argument("graph must hold (n, k) indices and distances with 1 <= k < n = " + std::to_string(n));
  }
  if (options.max_rounds < 0 || !(options.sample_rate > 0) || !(options.delta >= 0) || !(options.random_share >= 0) ||
      options.random_share > 1) {
    throw std::invalid_argument("max_rounds must be >= 0, sample_rate > 0, delta >= 0 and random_share in [0, 1]");
  }
  const auto kept = static_cast<Index>(std::ceil((1.0 - options.random_share) * static_cast<double>(k)));
  const auto s = static_cast<std::size_t>(std::max(1.0, std::ceil(options.sample_rate * static_cast<double>(k))));
  const auto width = static_cast<std::size_t>(k);
  // The rows as flat arrays, ascending by (squared distance, index), with a flag for the entries
  // not yet joined. The starting distances are recomputed so that every comparison uses one formula.
  std::vector<std::int64_t> ids(static_cast<std::size_t>(n) * width);
  std::vector<double> distances(ids.size());
  std::vector<std::uint8_t> fresh(ids.size(), 1);
  std::atomic<bool> invalid{false};
  parallel_for(0, n, 1024, [&](Index first, Index last) {
    std::vector<std::pair<double, std::int64_t>> row(width);
    for (Index i = first; i < last; ++i) {
      for (Index j = 0; j < k; ++j) {
        std::int64_t u = graph.indices(i, j);
        if (u < 0 || u >= n || u == i) {
          invalid = true;
          return;
        }
        for (std::uint64_t attempt = 0; j >= kept; ++attempt) {  // a random point not yet in the row
          u = static_cast<std::int64_t>(draw(options.seed, -1, i, j * 64 + static_cast<Index>(attempt)) % static_cast<std::uint64_t>(n));
          bool listed = u == i;
          for (Index l = 0; l < j && !listed; ++l) listed = row[static_cast<std::size_t>(l)].second == u;
          for (Index l = j + 1; l < k && !listed; ++l) listed = graph.indices(i, l) == u;
          if (!listed) break;
        }
        row[static_cast<std::size_t>(j)] = {squared_distance(points + i * d, points + u * d, d), u};
      }
      std::sort(row.begin(), row.end());
      for (std::size_t j = 0; j < width; ++j) {
        if (j > 0 && row[j].second == row[j - 1].second) invalid = true;  // sorted by distance first: a repeat is adjacent
        distances[static_cast<std::size_t>(i) * width + j] = row[j].first;
        ids[static_cast<std::size_t>(i) * width + j] = row[j].second;
      }
    }
  });
  if (invalid) throw std::invalid_argument("graph: every index must be another point's, in [0, n), at most once a row");

  NnDescentReport report;
  std::vector<std::int64_t> new_lists(static_cast<std::size_t>(n) * s), new_counts(static_cast<std::size_t>(n));
  std::vector<std::int64_t> old_lists(ids.size()), old_counts(static_cast<std::size_t>(n));
  std::vector<std::vector<Proposal>> buffers(static_cast<std::size_t>((kBlock + kGrain - 1) / kGrain));
  // Proposals grouped by target: slot[t] is t's place in `targets` (-1: none), bounds its range in `grouped`.
  std::vector<std::int64_t> slot(static_cast<std::size_t>(n), -1), targets, bounds, fill;
  std::vector<Proposal> grouped;
  for (Index round = 0; round < options.max_rounds; ++round) {
    // Each point's old neighbours, and a sample of its new ones, which are joined now and so become old.
    parallel_for(0, n, 1024, [&](Index first, Index last) {
      std::vector<std::int64_t> chosen;
      for (Index v = first; v < last; ++v) {
        const std::size_t row = static_cast<std::size_t>(v) * width;
        chosen.clear();
        std::int64_t olds = 0;
        for (std::size_t j = 0; j < width; ++j) {
          if (fresh[row + j]) chosen.push_back(ids[row + j]);
          else old_lists[row + static_cast<std::size_t>(olds++)] = ids[row + j];
        }
        sample(chosen, s, options.seed, round, v);
        for (std::size_t j = 0; j < width; ++j) {
          if (fresh[row + j] && std::find(chosen.begin(), chosen.end(), ids[row + j]) != chosen.end()) fresh[row + j] = 0;
        }
        std::copy(chosen.begin(), chosen.end(), new_lists.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(v) * s));
        new_counts[static_cast<std::size_t>(v)] = static_cast<std::int64_t>(chosen.size());
        old_counts[static_cast<std::size_t>(v)] = olds;
      }
    });
    const Reverse new_reverse = reverse_lists(new_lists, new_counts, n, static_cast<Index>(s));
    const Reverse old_reverse = reverse_lists(old_lists, old_counts, n, k);

    std::int64_t updates = 0;
    for (Index begin = 0; begin < n; begin += kBlock) {
      const Index end = std::min(n, begin + kBlock);
      // Local joins: every pair of a point's new neighbours, and each new one with each old one,
      // proposed to either end whose k-th neighbour is farther.
      parallel_for(begin, end, kGrain, [&](Index first, Index last) {
        std::vector<Proposal>& out = buffers[static_cast<std::size_t>((first - begin) / kGrain)];
        out.clear();
        std::vector<std::int64_t> news, olds, reversed;
        auto consider = [&](std::int64_t a, std::int64_t b) {
          const double gap = squared_distance(points + a * d, points + b * d, d);
          if (gap < distances[static_cast<std::size_t>(a) * width + width - 1]) out.push_back({a, gap, b});
          if (gap < distances[static_cast<std::size_t>(b) * width + width - 1]) out.push_back({b, gap, a});
        };
        for (Index v = first; v < last; ++v) {
          const auto at = static_cast<std::size_t>(v);
          news.assign(new_lists.begin() + static_cast<std::ptrdiff_t>(at * s),
                      new_lists.begin() + static_cast<std::ptrdiff_t>(at * s + static_cast<std::size_t>(new_counts[at])));
          reversed.assign(new_reverse.members.begin() + new_reverse.offsets[at], new_reverse.members.begin() + new_reverse.offsets[at + 1]);
          sample(reversed, s, ~options.seed, round, v);
          append_unique(news, reversed);
          olds.clear();
          for (std::int64_t j = 0; j < old_counts[at]; ++j) olds.push_back(old_lists[at * width + static_cast<std::size_t>(j)]);
          reversed.assign(old_reverse.members.begin() + old_reverse.offsets[at], old_reverse.members.begin() + old_reverse.offsets[at + 1]);
          sample(reversed, s, ~options.seed, round, v);
          append_unique(olds, reversed);
          for (std::size_t a = 0; a < news.size(); ++a) {
            for (std::size_t b = a + 1; b < news.size(); ++b) consider(news[a], news[b]);
            for (std::int64_t o : olds) {
              if (o != news[a] && std::find(news.begin(), news.end(), o) == news.end()) consider(news[a], o);
            }
          }
        }
      });
      // Group the proposals by target, targets in order of first proposal and each target's in
      // buffer order (both fixed whatever the threads), to merge each target's into its row.
      targets.clear();
      bounds.clear();
      for (const auto& buffer : buffers) {
        for (const Proposal& p : buffer) {
          std::int64_t& at = slot[static_cast<std::size_t>(p.target)];
          if (at < 0) {
            at = static_cast<std::int64_t>(targets.size());
            targets.push_back(p.target);
            bounds.push_back(0);
          }
          ++bounds[static_cast<std::size_t>(at)];
        }
      }
      std::int64_t total = 0;
      for (std::int64_t& bound : bounds) {
        const std::int64_t count = bound;
        bound = total;
        total += count;
      }
      bounds.push_back(total);
      fill.assign(bounds.begin(), bounds.end() - 1);
      grouped.resize(static_cast<std::size_t>(total));
      for (const auto& buffer : buffers) {
        for (const Proposal& p : buffer) {
          grouped[static_cast<std::size_t>(fill[static_cast<std::size_t>(slot[static_cast<std::size_t>(p.target)])]++)] = p;
        }
      }
      std::atomic<std::int64_t> changed{0};
      parallel_for(0, static_cast<Index>(targets.size()), 64, [&](Index first, Index last) {
        std::vector<std::pair<double, std::int64_t>> merged;
        std::vector<std::int64_t> before;
        std::vector<std::uint8_t> was_fresh;
        std::int64_t local = 0;
        for (Index q = first; q < last; ++q) {
          const auto t = static_cast<std::size_t>(targets[static_cast<std::size_t>(q)]);
          const std::size_t row = t * width;
          merged.clear();
          for (std::size_t j = 0; j < width; ++j) merged.push_back({distances[row + j], ids[row + j]});
          for (std::int64_t p = bounds[static_cast<std::size_t>(q)]; p < bounds[static_cast<std::size_t>(q) + 1]; ++p) {
            merged.push_back({grouped[static_cast<std::size_t>(p)].distance, grouped[static_cast<std::size_t>(p)].source});
          }
          std::sort(merged.begin(), merged.end());
          before.assign(ids.begin() + static_cast<std::ptrdiff_t>(row), ids.begin() + static_cast<std::ptrdiff_t>(row + width));
          was_fresh.assign(fresh.begin() + static_cast<std::ptrdiff_t>(row), fresh.begin() + static_cast<std::ptrdiff_t>(row + width));
          std::size_t kept = 0;
          for (std::size_t m = 0; m < merged.size() && kept < width; ++m) {
            const std::int64_t id = merged[m].second;
            if (std::find(ids.begin() + static_cast<std::ptrdiff_t>(row), ids.begin() + static_cast<std::ptrdiff_t>(row + kept), id) !=
                ids.begin() + static_cast<std::ptrdiff_t>(row + kept)) {
              continue;  // a repeat: the same point proposed twice, or already listed
            }
            const auto known = std::find(before.begin(), before.end(), id);
            ids[row + kept] = id;
            distances[row + kept] = merged[m].first;
            fresh[row + kept] = known == before.end() ? 1 : was_fresh[static_cast<std::size_t>(known - before.begin())];
            local += known == before.end();
            ++kept;
          }
        }
        changed += local;
      });
      for (std::int64_t t : targets) slot[static_cast<std::size_t>(t)] = -1;
      updates += changed;
    }
    report.updates.push_back(updates);
    if (static_cast<double>(updates) < options.delta * static_cast<double>(n) * static_cast<double>(k)) break;
  }
  for (Index i = 0; i < n; ++i) {
    for (Index j = 0; j < k; ++j) {
      graph.indices(i, j) = ids[static_cast<std::size_t>(i * k + j)];
      graph.distances(i, j) = std::sqrt(distances[static_cast<std::size_t>(i * k + j)]);
    }
  }
  return report;
}

template NnDescentReport nn_descent<float>(const float*, Index, Index, KnnResult&, const NnDescentOptions&);
template NnDescentReport nn_descent<double>(const double*, Index, Index, KnnResult&, const NnDescentOptions&);

}  // namespace netscope
