#include <netscope/nn_descent.hpp>
#include <netscope/parallel.hpp>
#include <netscope/random.hpp>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

namespace netscope {
namespace {

// Points whose joins are proposed against the graph as it stands before the proposals are merged:
// fixed, so the rounds do not depend on the number of threads.
constexpr Index kBlock = 16384;
constexpr Index kGrain = 256;  // points a thread joins at a time (one proposal buffer each)

// 32-bit indices halve the graph's memory and traffic (a million points, 24 neighbours: 96 MB).
using Id = std::int32_t;

// In the points' own precision, which Eigen vectorises (float: 2-3x the double loop's speed); every
// distance of the refinement comes from this one function.
template <class T>
T squared_distance(const T* a, const T* b, Index d) {
  using Row = Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, 1>>;
  return (Row(a, d) - Row(b, d)).squaredNorm();
}

// The draw that ranks `other` among `point`'s candidates of a round: the lowest draws are kept.
std::uint64_t draw(std::uint64_t seed, Index round, std::int64_t point, std::int64_t other) {
  std::uint64_t x = splitmix64(seed ^ (static_cast<std::uint64_t>(round) * 0x9E3779B97F4A7C15ULL));
  x = splitmix64(x ^ static_cast<std::uint64_t>(point));
  return splitmix64(x ^ static_cast<std::uint64_t>(other));
}

// Per point, the points that list it as a new neighbour and as an old one: CSR arrays.
struct Reverse {
  std::vector<std::int64_t> offsets;
  std::vector<Id> members;
};
Reverse reverse_lists(const std::vector<Id>& ids, const std::vector<std::uint8_t>& fresh, std::uint8_t flag, Index n,
                      std::size_t width) {
  Reverse reverse;
  reverse.offsets.assign(static_cast<std::size_t>(n + 1), 0);
  for (std::size_t e = 0; e < ids.size(); ++e) {
    if (fresh[e] == flag) ++reverse.offsets[static_cast<std::size_t>(ids[e]) + 1];
  }
  for (Index v = 0; v < n; ++v) reverse.offsets[static_cast<std::size_t>(v + 1)] += reverse.offsets[static_cast<std::size_t>(v)];
  reverse.members.resize(static_cast<std::size_t>(reverse.offsets.back()));
  std::vector<std::int64_t> next(reverse.offsets.begin(), reverse.offsets.end() - 1);
  for (std::size_t e = 0; e < ids.size(); ++e) {  // in order of the listing point: each list ascends
    if (fresh[e] == flag) reverse.members[static_cast<std::size_t>(next[static_cast<std::size_t>(ids[e])]++)] = static_cast<Id>(e / width);
  }
  return reverse;
}

// The at most `count` distinct ids of `ids` with the lowest draws, in order of draw, into `out`.
void sample(std::vector<std::pair<std::uint64_t, Id>>& ids, std::size_t count, std::vector<Id>& out) {
  std::sort(ids.begin(), ids.end());  // a repeated id has the same draw: repeats are adjacent
  out.clear();
  for (std::size_t i = 0; i < ids.size() && out.size() < count; ++i) {
    if (i == 0 || ids[i].second != ids[i - 1].second) out.push_back(ids[i].second);
  }
}

template <class T>
struct Proposal {
  Id target, source;
  T distance;
};

}  // namespace

template <class T>
KnnResult nn_descent(const T* points, Index n, Index d, const std::int64_t* start, Index start_width, Index width, Index k,
                     const NnDescentOptions& options, NnDescentReport* report) {
  if (start_width < 1 || start_width >= n) {
    throw std::invalid_argument("start must hold (n, k) indices with 1 <= k < n = " + std::to_string(n));
  }
  if (k < 1 || width < k || width >= n) {
    throw std::invalid_argument("need 1 <= k <= width < n, got k = " + std::to_string(k) + ", width = " + std::to_string(width));
  }
  if (n > std::numeric_limits<Id>::max()) throw std::invalid_argument("NN-descent handles at most 2^31 - 1 points");
  if (options.max_rounds < 0 || options.max_candidates < 0 || !(options.delta >= 0) || !(options.random_share >= 0) ||
      options.random_share > 1) {
    throw std::invalid_argument("max_rounds and max_candidates must be >= 0, delta >= 0 and random_share in [0, 1]");
  }
  const Index kept = std::min(start_width, static_cast<Index>(std::ceil((1.0 - options.random_share) * static_cast<double>(width))));
  const auto w = static_cast<std::size_t>(width);
  const auto c = static_cast<std::size_t>(options.max_candidates > 0 ? options.max_candidates : width);
  // The rows as flat arrays, ascending by (squared distance, index), with a flag for the entries
  // not yet joined. The starting distances are recomputed so that every comparison uses one formula.
  std::vector<Id> ids(static_cast<std::size_t>(n) * w);
  std::vector<T> distances(ids.size());
  std::vector<std::uint8_t> fresh(ids.size(), 1);
  std::atomic<bool> invalid{false};
  parallel_for(0, n, 1024, [&](Index first, Index last) {
    std::vector<std::pair<T, Id>> row(w);
    for (Index i = first; i < last; ++i) {
      for (Index j = 0; j < width; ++j) {
        std::int64_t u = j < kept ? start[i * start_width + j] : -1;
        if (j < kept && (u < 0 || u >= n || u == i)) {
          invalid = true;
          return;
        }
        for (std::uint64_t attempt = 0; j >= kept; ++attempt) {  // a random point not yet in the row
          u = static_cast<std::int64_t>(draw(options.seed, -1, i, j * 64 + static_cast<Index>(attempt)) % static_cast<std::uint64_t>(n));
          bool listed = u == i;
          for (Index l = 0; l < j && !listed; ++l) listed = row[static_cast<std::size_t>(l)].second == u;
          if (!listed) break;
        }
        row[static_cast<std::size_t>(j)] = {squared_distance(points + i * d, points + u * d, d), static_cast<Id>(u)};
      }
      std::sort(row.begin(), row.end());
      for (std::size_t j = 0; j < w; ++j) {
        if (j > 0 && row[j].second == row[j - 1].second) invalid = true;  // sorted by distance first: a repeat is adjacent
        distances[static_cast<std::size_t>(i) * w + j] = row[j].first;
        ids[static_cast<std::size_t>(i) * w + j] = row[j].second;
      }
    }
  });
  if (invalid) throw std::invalid_argument("start: every index must be another point's, in [0, n), at most once a row");

  NnDescentReport rounds;
  std::vector<Id> new_lists(static_cast<std::size_t>(n) * c), old_lists(static_cast<std::size_t>(n) * c);
  std::vector<std::uint32_t> new_counts(static_cast<std::size_t>(n)), old_counts(static_cast<std::size_t>(n));
  std::vector<std::vector<Proposal<T>>> buffers(static_cast<std::size_t>((kBlock + kGrain - 1) / kGrain));
  // Proposals grouped by target: slot[t] is t's place in `targets` (-1: none), bounds its range in `grouped`.
  std::vector<std::int64_t> slot(static_cast<std::size_t>(n), -1), targets, bounds, fill;
  std::vector<Proposal<T>> grouped;
  for (Index round = 0; round < options.max_rounds; ++round) {
    // Each point's candidates: c of its new neighbours, listed or listing it, and c old ones.
    // The new ones it lists that are drawn are joined now, and so become old.
    {
      const Reverse new_reverse = reverse_lists(ids, fresh, 1, n, w);
      const Reverse old_reverse = reverse_lists(ids, fresh, 0, n, w);
      parallel_for(0, n, 1024, [&](Index first, Index last) {
        std::vector<std::pair<std::uint64_t, Id>> drawn;
        std::vector<Id> chosen;
        for (Index v = first; v < last; ++v) {
          const auto at = static_cast<std::size_t>(v);
          const std::size_t row = at * w;
          for (int flag : {1, 0}) {
            const Reverse& reverse = flag ? new_reverse : old_reverse;
            drawn.clear();
            for (std::size_t j = 0; j < w; ++j) {
              if (fresh[row + j] == flag) drawn.push_back({draw(options.seed, round, v, ids[row + j]), ids[row + j]});
            }
            for (std::int64_t r = reverse.offsets[at]; r < reverse.offsets[at + 1]; ++r) {
              const Id u = reverse.members[static_cast<std::size_t>(r)];
              drawn.push_back({draw(options.seed, round, v, u), u});
            }
            sample(drawn, c, chosen);
            if (flag) {
              for (std::size_t j = 0; j < w; ++j) {
                if (fresh[row + j] && std::find(chosen.begin(), chosen.end(), ids[row + j]) != chosen.end()) fresh[row + j] = 0;
              }
            } else {  // an id both new and old for v (listed new, listing old) is joined as new only
              const Id* news = new_lists.data() + at * c;
              chosen.erase(std::remove_if(chosen.begin(), chosen.end(),
                                          [&](Id u) { return std::find(news, news + new_counts[at], u) != news + new_counts[at]; }),
                           chosen.end());
            }
            std::copy(chosen.begin(), chosen.end(), (flag ? new_lists : old_lists).begin() + static_cast<std::ptrdiff_t>(at * c));
            (flag ? new_counts : old_counts)[at] = static_cast<std::uint32_t>(chosen.size());
          }
        }
      });
    }

    std::int64_t updates = 0;
    for (Index begin = 0; begin < n; begin += kBlock) {
      const Index end = std::min(n, begin + kBlock);
      // Local joins: every pair of a point's new candidates, and each new one with each old one,
      // proposed to either end whose farthest listed neighbour is farther.
      parallel_for(begin, end, kGrain, [&](Index first, Index last) {
        std::vector<Proposal<T>>& out = buffers[static_cast<std::size_t>((first - begin) / kGrain)];
        out.clear();
        // A point's candidates, new then old, copied side by side with their farthest listed
        // distances: each is read from memory once per join, not once per pair.
        Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic> rows(d, static_cast<Index>(2 * c));
        std::vector<Id> members;
        std::vector<T> farthest;
        for (Index v = first; v < last; ++v) {
          const auto at = static_cast<std::size_t>(v);
          const std::uint32_t fresh_count = new_counts[at];
          members.assign(new_lists.begin() + static_cast<std::ptrdiff_t>(at * c),
                         new_lists.begin() + static_cast<std::ptrdiff_t>(at * c + fresh_count));
          members.insert(members.end(), old_lists.begin() + static_cast<std::ptrdiff_t>(at * c),
                         old_lists.begin() + static_cast<std::ptrdiff_t>(at * c + old_counts[at]));
          farthest.resize(members.size());
          for (std::size_t m = 0; m < members.size(); ++m) {
            const Index u = members[m];
            std::copy(points + u * d, points + (u + 1) * d, rows.col(static_cast<Index>(m)).data());
            farthest[m] = distances[static_cast<std::size_t>(u) * w + w - 1];
          }
          // Every pair of new candidates, and each new one with each old one, proposed to either
          // end whose farthest listed neighbour is farther.
          for (std::size_t a = 0; a < fresh_count; ++a) {
            for (std::size_t b = a + 1; b < members.size(); ++b) {
              const T gap = squared_distance(rows.col(static_cast<Index>(a)).data(), rows.col(static_cast<Index>(b)).data(), d);
              if (gap < farthest[a]) out.push_back({members[a], members[b], gap});
              if (gap < farthest[b]) out.push_back({members[b], members[a], gap});
            }
          }
        }
      });
      // Group the proposals by target, targets in order of first proposal and each target's in
      // buffer order (both fixed whatever the threads), to merge each target's into its row.
      targets.clear();
      bounds.clear();
      for (const auto& buffer : buffers) {
        for (const Proposal<T>& p : buffer) {
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
        for (const Proposal<T>& p : buffer) {
          grouped[static_cast<std::size_t>(fill[static_cast<std::size_t>(slot[static_cast<std::size_t>(p.target)])]++)] = p;
        }
      }
      std::atomic<std::int64_t> changed{0};
      parallel_for(0, static_cast<Index>(targets.size()), 64, [&](Index first, Index last) {
        std::vector<std::pair<T, Id>> proposed, before;
        std::vector<std::uint8_t> was_fresh;
        std::int64_t local = 0;
        for (Index q = first; q < last; ++q) {
          const auto row = static_cast<std::size_t>(targets[static_cast<std::size_t>(q)]) * w;
          // Only proposals nearer than the row's farthest entry as it stands now can enter it.
          proposed.clear();
          for (std::int64_t p = bounds[static_cast<std::size_t>(q)]; p < bounds[static_cast<std::size_t>(q) + 1]; ++p) {
            const Proposal<T>& proposal = grouped[static_cast<std::size_t>(p)];
            if (proposal.distance < distances[row + w - 1]) proposed.push_back({proposal.distance, proposal.source});
          }
          if (proposed.empty()) continue;
          std::sort(proposed.begin(), proposed.end());
          before.clear();
          for (std::size_t j = 0; j < w; ++j) before.push_back({distances[row + j], ids[row + j]});
          was_fresh.assign(fresh.begin() + static_cast<std::ptrdiff_t>(row), fresh.begin() + static_cast<std::ptrdiff_t>(row + w));
          // Merge the two ascending lists by (distance, index) into the row, each point once.
          const auto listed = ids.begin() + static_cast<std::ptrdiff_t>(row);
          std::size_t filled = 0, r = 0, m = 0;
          while (filled < w) {
            const bool from_row = m == proposed.size() || (r < w && before[r] <= proposed[m]);
            const auto [distance, id] = from_row ? before[r++] : proposed[m++];
            if (std::find(listed, listed + static_cast<std::ptrdiff_t>(filled), id) != listed + static_cast<std::ptrdiff_t>(filled)) {
              continue;  // a repeat: the same point proposed twice, or already listed
            }
            std::size_t known = 0;
            while (known < w && before[known].second != id) ++known;
            ids[row + filled] = id;
            distances[row + filled] = distance;
            fresh[row + filled] = known == w ? 1 : was_fresh[known];
            local += known == w;
            ++filled;
          }
        }
        changed += local;
      });
      for (std::int64_t t : targets) slot[static_cast<std::size_t>(t)] = -1;
      updates += changed;
    }
    rounds.updates.push_back(updates);
    if (static_cast<double>(updates) < options.delta * static_cast<double>(n) * static_cast<double>(width)) break;
  }
  KnnResult result;
  result.indices.resize(n, k);
  result.distances.resize(n, k);
  for (Index i = 0; i < n; ++i) {
    for (Index j = 0; j < k; ++j) {
      result.indices(i, j) = ids[static_cast<std::size_t>(i) * w + static_cast<std::size_t>(j)];
      result.distances(i, j) = std::sqrt(static_cast<double>(distances[static_cast<std::size_t>(i) * w + static_cast<std::size_t>(j)]));
    }
  }
  if (report) *report = std::move(rounds);
  return result;
}

template KnnResult nn_descent<float>(const float*, Index, Index, const std::int64_t*, Index, Index, Index,
                                     const NnDescentOptions&, NnDescentReport*);
template KnnResult nn_descent<double>(const double*, Index, Index, const std::int64_t*, Index, Index, Index,
                                      const NnDescentOptions&, NnDescentReport*);

}  // namespace netscope
