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

// Points whose joins are proposed against the graph as it stands before their proposals are
// applied: it bounds the proposals held at once (a round's result does not depend on it).
constexpr Index kBlock = 4096;
constexpr Index kGrain = 256;  // points a thread joins at a time (one set of proposal buffers each)
// Contiguous ranges of rows whose proposals are applied by one thread, in a fixed order.
constexpr std::size_t kShards = 64;

// 32-bit indices halve the graph's memory and traffic (a million points, 24 neighbours: 96 MB).
using Id = std::int32_t;

template <class T>
using Block = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;
template <class T>
using PointRow = Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, 1>>;

// In the points' own precision, which Eigen vectorises (float: 2-3x the double loop's speed): the
// start's distances and the returned ones; the joins' come from a GEMM.
template <class T>
T squared_distance(const T* a, const T* b, Index d) {
  return (PointRow<T>(a, d) - PointRow<T>(b, d)).squaredNorm();
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

// Whether (distance, id) comes before (other_distance, other_id): rows ascend in this order, so
// that a row keeps the same set of entries whatever order its proposals arrive in.
template <class T>
bool before(T distance, Id id, T other_distance, Id other_id) {
  return distance < other_distance || (distance == other_distance && id < other_id);
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
  // A block's proposals by the grain that made them and the shard of rows they target.
  std::vector<std::vector<std::vector<Proposal<T>>>> buffers(static_cast<std::size_t>((kBlock + kGrain - 1) / kGrain),
                                                             std::vector<std::vector<Proposal<T>>>(kShards));
  const std::size_t shard_rows = (static_cast<std::size_t>(n) + kShards - 1) / kShards;
  const auto shard_of = [shard_rows](Id target) { return static_cast<std::size_t>(target) / shard_rows; };
  // Each row's farthest distance, apart from the rows: the joins read it for every candidate, and
  // n values stay in cache where the n rows do not.
  std::vector<T> farthest_listed(static_cast<std::size_t>(n));
  for (std::size_t i = 0; i < farthest_listed.size(); ++i) farthest_listed[i] = distances[i * w + w - 1];
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
      // proposed to either end whose farthest listed neighbour is farther, into the buffer of the
      // grain and the shard of the target.
      parallel_for(begin, end, kGrain, [&](Index first, Index last) {
        auto& out = buffers[static_cast<std::size_t>((first - begin) / kGrain)];
        for (auto& shard : out) shard.clear();
        // A point's candidates, new then old, copied side by side less the point itself, and their
        // farthest listed distances: the distances of a join come from one small GEMM,
        // |a - b|^2 = |a|^2 + |b|^2 - 2 a.b, whose cancellation stays small because the candidates
        // lie near the point they are centred on.
        Block<T> rows(d, static_cast<Index>(2 * c)), gram(static_cast<Index>(c), static_cast<Index>(2 * c));
        Eigen::Matrix<T, Eigen::Dynamic, 1> norms(static_cast<Index>(2 * c));
        std::vector<Id> members;
        std::vector<T> farthest;
        for (Index v = first; v < last; ++v) {
          const auto at = static_cast<std::size_t>(v);
          const auto fresh_count = static_cast<Index>(new_counts[at]);
          members.assign(new_lists.begin() + static_cast<std::ptrdiff_t>(at * c),
                         new_lists.begin() + static_cast<std::ptrdiff_t>(at * c) + fresh_count);
          members.insert(members.end(), old_lists.begin() + static_cast<std::ptrdiff_t>(at * c),
                         old_lists.begin() + static_cast<std::ptrdiff_t>(at * c + old_counts[at]));
          const auto size = static_cast<Index>(members.size());
          if (fresh_count == 0 || size < 2) continue;
          farthest.resize(members.size());
          // The candidates' rows lie anywhere in the points: ask for all of them before the first
          // is read, so that their cache misses overlap.
          for (const Id u : members) {
            const char* bytes = reinterpret_cast<const char*>(points + static_cast<Index>(u) * d);
            for (std::size_t offset = 0; offset < static_cast<std::size_t>(d) * sizeof(T); offset += 64) __builtin_prefetch(bytes + offset);
          }
          for (Index m = 0; m < size; ++m) {
            const Index u = members[static_cast<std::size_t>(m)];
            rows.col(m) = PointRow<T>(points + u * d, d) - PointRow<T>(points + v * d, d);
            farthest[static_cast<std::size_t>(m)] = farthest_listed[static_cast<std::size_t>(u)];
          }
          const auto used = rows.leftCols(size);
          norms.head(size) = used.colwise().squaredNorm().transpose();
          gram.topLeftCorner(fresh_count, size).noalias() = used.leftCols(fresh_count).transpose() * used;
          for (Index a = 0; a < fresh_count; ++a) {
            for (Index b = a + 1; b < size; ++b) {
              const T gap = std::max(T(0), norms(a) + norms(b) - 2 * gram(a, b));
              const Id first_id = members[static_cast<std::size_t>(a)], second_id = members[static_cast<std::size_t>(b)];
              if (gap < farthest[static_cast<std::size_t>(a)]) out[shard_of(first_id)].push_back({first_id, second_id, gap});
              if (gap < farthest[static_cast<std::size_t>(b)]) out[shard_of(second_id)].push_back({second_id, first_id, gap});
            }
          }
        }
      });
      // Each shard's rows take their proposals in buffer order (fixed whatever the threads): an
      // entry nearer, by (distance, index), than the row's farthest and not yet listed is
      // inserted in order and the farthest dropped. O(w) a proposal that enters, O(1) otherwise.
      std::atomic<std::int64_t> changed{0};
      parallel_for(0, static_cast<Index>(kShards), 1, [&](Index first, Index last) {
        std::int64_t local = 0;
        for (Index shard = first; shard < last; ++shard) {
          for (const auto& buffer : buffers) {
            for (const Proposal<T>& proposal : buffer[static_cast<std::size_t>(shard)]) {
              // The compact copy of the row's farthest turns most proposals away before the row is read.
              if (proposal.distance > farthest_listed[static_cast<std::size_t>(proposal.target)]) continue;
              const std::size_t row = static_cast<std::size_t>(proposal.target) * w;
              T* row_distances = distances.data() + row;
              Id* row_ids = ids.data() + row;
              if (!before(proposal.distance, proposal.source, row_distances[w - 1], row_ids[w - 1])) continue;
              if (std::find(row_ids, row_ids + w, proposal.source) != row_ids + w) continue;
              std::size_t j = w - 1;
              for (; j > 0 && before(proposal.distance, proposal.source, row_distances[j - 1], row_ids[j - 1]); --j) {
                row_distances[j] = row_distances[j - 1];
                row_ids[j] = row_ids[j - 1];
                fresh[row + j] = fresh[row + j - 1];
              }
              row_distances[j] = proposal.distance;
              row_ids[j] = proposal.source;
              fresh[row + j] = 1;
              farthest_listed[static_cast<std::size_t>(proposal.target)] = row_distances[w - 1];
              ++local;
            }
          }
        }
        changed += local;
      });
      updates += changed;
    }
    rounds.updates.push_back(updates);
    if (static_cast<double>(updates) < options.delta * static_cast<double>(n) * static_cast<double>(width)) break;
  }
  KnnResult result;
  result.indices.resize(n, k);
  result.distances.resize(n, k);
  // The nearest k of each row by the exact distance, which the joins' GEMM only approximated.
  parallel_for(0, n, 1024, [&](Index first, Index last) {
    std::vector<std::pair<T, Id>> row(w);
    for (Index i = first; i < last; ++i) {
      for (std::size_t j = 0; j < w; ++j) {
        const Id u = ids[static_cast<std::size_t>(i) * w + j];
        row[j] = {squared_distance(points + i * d, points + static_cast<Index>(u) * d, d), u};
      }
      std::partial_sort(row.begin(), row.begin() + k, row.end());
      for (Index j = 0; j < k; ++j) {
        result.indices(i, j) = row[static_cast<std::size_t>(j)].second;
        result.distances(i, j) = std::sqrt(static_cast<double>(row[static_cast<std::size_t>(j)].first));
      }
    }
  });
  if (report) *report = std::move(rounds);
  return result;
}

template KnnResult nn_descent<float>(const float*, Index, Index, const std::int64_t*, Index, Index, Index,
                                     const NnDescentOptions&, NnDescentReport*);
template KnnResult nn_descent<double>(const double*, Index, Index, const std::int64_t*, Index, Index, Index,
                                      const NnDescentOptions&, NnDescentReport*);

}  // namespace netscope
