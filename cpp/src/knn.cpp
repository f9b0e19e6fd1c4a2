#include <netscope/graph.hpp>
#include <netscope/knn.hpp>
#include <netscope/parallel.hpp>
#include <netscope/random.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace netscope {
namespace {

// Distances of one query block to all points are held at once; this many entries keeps that
// matrix near 64 MB whatever n is.
constexpr Index kBlockEntries = Index{1} << 23;
// The fuzzy bandwidths' bisection: at most this many halvings of a bracket 50 wide on log sigma.
constexpr int kFuzzySteps = 48;
// k-means runs on a sample of this many points per cell (all points when n is smaller).
constexpr Index kSamplePerCell = 20;

using Candidate = std::pair<double, std::int64_t>;  // (ranking key, index): lexicographic order

void check_k(Index n, Index k) {
  if (n < 2) throw std::invalid_argument("X must hold at least 2 points");
  if (k < 1 || k >= n) {
    throw std::invalid_argument("k must be in [1, n - 1] = [1, " + std::to_string(n - 1) + "], got " +
                                std::to_string(k));
  }
}

template <class T>
Vector<T> squared_norms(const T* points, Index n, Index d) {
  Vector<T> norms(n);
  parallel_for(0, n, 1024, [&](Index first, Index last) {
    for (Index i = first; i < last; ++i) {
      const T* row = points + i * d;
      T sum = 0;
      for (Index j = 0; j < d; ++j) sum += row[j] * row[j];
      norms(i) = sum;
    }
  });
  return norms;
}

// The k smallest (key_at(i), id_at(i)) over i in [0, count), skipping id `self`, into `heap`,
// sorted ascending. Ranking by |y|^2 - 2 x.y (the query's own |x|^2 is common to all) costs one
// multiply-add and one compare per candidate, and the heap is touched only by the rare candidate
// that beats its current k-th best; among equal keys the one scanned first wins.
template <class T, class KeyAt, class IdAt>
void keep_smallest(Index count, Index k, std::int64_t self, KeyAt key_at, IdAt id_at, std::vector<Candidate>& heap) {
  heap.clear();
  T threshold = std::numeric_limits<T>::infinity();
  for (Index i = 0; i < count; ++i) {
    const T key = key_at(i);
    if (!(key < threshold)) continue;
    const std::int64_t id = id_at(i);
    if (id == self) continue;
    if (static_cast<Index>(heap.size()) == k) {
      std::pop_heap(heap.begin(), heap.end());
      heap.pop_back();
    }
    heap.push_back({static_cast<double>(key), id});
    std::push_heap(heap.begin(), heap.end());
    if (static_cast<Index>(heap.size()) == k) threshold = static_cast<T>(heap.front().first);
  }
  std::sort_heap(heap.begin(), heap.end());
}

// Row `row` of the result from a sorted heap of k candidates.
void write_row(const std::vector<Candidate>& heap, Index row, double self_norm, KnnResult& result) {
  for (Index j = 0; j < static_cast<Index>(heap.size()); ++j) {
    const Candidate& best = heap[static_cast<std::size_t>(j)];
    result.indices(row, j) = best.second;
    // Rounding can make the expansion slightly negative for (near-)duplicates.
    result.distances(row, j) = std::sqrt(std::max(0.0, self_norm + best.first));
  }
}

// For every point, the `count` nearest of the C centroids (columns of the (d, C) `centroids`),
// nearest first, row-major (n, count). Each task multiplies its block of points by the centroids
// with Eigen's single-threaded GEMM: no BLAS threads are left spinning beside the selection.
template <class T>
std::vector<std::int64_t> nearest_centroids(const T* points, Index n, Index d, const Matrix<T>& centroids,
                                            Index count) {
  constexpr Index kBlock = 256;
  const Index cells = centroids.cols();
  const Vector<T> centroid_norms = centroids.colwise().squaredNorm().transpose();
  std::vector<std::int64_t> nearest(static_cast<std::size_t>(n * count));
  parallel_for(0, n, kBlock, [&](Index first, Index last) {
    const Eigen::Map<const Matrix<T>> block(points + first * d, d, last - first);
    const Matrix<T> products = centroids.transpose() * block;  // (cells, points of the block)
    std::vector<Candidate> heap;
    for (Index q = 0; q < last - first; ++q) {
      const T* dots = products.col(q).data();
      keep_smallest<T>(cells, count, -1, [&](Index c) { return centroid_norms(c) - T(2) * dots[c]; },
                       [](Index c) { return static_cast<std::int64_t>(c); }, heap);
      for (Index j = 0; j < count; ++j) {
        nearest[static_cast<std::size_t>((first + q) * count + j)] = heap[static_cast<std::size_t>(j)].second;
      }
    }
  });
  return nearest;
}

// Lloyd's k-means on a seeded sample of kSamplePerCell points per cell, started from the
// sample's first `cells` points; an emptied cell keeps its centroid. Returns (d, cells).
template <class T>
Matrix<T> kmeans_centroids(const T* points, Index n, Index d, Index cells, Index iterations, std::uint64_t seed) {
  const Index sample_size = std::min(n, cells * kSamplePerCell);
  std::vector<std::int64_t> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), std::int64_t{0});
  for (Index i = 0; i < sample_size; ++i) {  // a partial Fisher-Yates shuffle
    const auto pick = static_cast<Index>(i + static_cast<Index>(splitmix64(seed ^ splitmix64(static_cast<std::uint64_t>(i))) %
                                                              static_cast<std::uint64_t>(n - i)));
    std::swap(order[static_cast<std::size_t>(i)], order[static_cast<std::size_t>(pick)]);
  }
  Matrix<T> sample(d, sample_size);  // column-major: one sampled point per column
  for (Index i = 0; i < sample_size; ++i) {
    std::copy(points + order[static_cast<std::size_t>(i)] * d, points + (order[static_cast<std::size_t>(i)] + 1) * d,
              sample.col(i).data());
  }
  Matrix<T> centroids = sample.leftCols(cells);
  for (Index iteration = 0; iteration < iterations; ++iteration) {
    const std::vector<std::int64_t> nearest = nearest_centroids(sample.data(), sample_size, d, centroids, 1);
    Matrix<double> sums = Matrix<double>::Zero(d, cells);
    std::vector<Index> counts(static_cast<std::size_t>(cells), 0);
    for (Index i = 0; i < sample_size; ++i) {
      const auto c = static_cast<Index>(nearest[static_cast<std::size_t>(i)]);
      sums.col(c) += sample.col(i).template cast<double>();
      ++counts[static_cast<std::size_t>(c)];
    }
    for (Index c = 0; c < cells; ++c) {
      if (counts[static_cast<std::size_t>(c)] > 0) {
        centroids.col(c) = (sums.col(c) / static_cast<double>(counts[static_cast<std::size_t>(c)])).template cast<T>();
      }
    }
  }
  return centroids;
}

}  // namespace

template <class T>
KnnResult exact_knn(const T* points, Index n, Index d, Index k) {
  check_k(n, k);
  // Row-major (n, d) points are the column-major (d, n) matrix P.
  const Vector<T> norms = squared_norms(points, n, d);
  KnnResult result;
  result.indices.resize(n, k);
  result.distances.resize(n, k);
  const Index block = std::max<Index>(1, std::min(n, kBlockEntries / n));
  Matrix<T> products(n, block);  // column q: dot products of query q with every point
  for (Index start = 0; start < n; start += block) {
    const Index queries = std::min(block, n - start);
    gemm<T>(Op::Transpose, Op::None, n, queries, d, T(1), points, d, points + start * d, d, T(0),
            products.data(), n);
    parallel_for(0, queries, 4, [&](Index first, Index last) {
      std::vector<Candidate> heap;
      heap.reserve(static_cast<std::size_t>(k) + 1);
      for (Index q = first; q < last; ++q) {
        const Index self = start + q;
        const T* dots = products.col(q).data();
        keep_smallest<T>(n, k, self, [&](Index i) { return norms(i) - T(2) * dots[i]; },
                         [](Index i) { return static_cast<std::int64_t>(i); }, heap);
        write_row(heap, self, static_cast<double>(norms(self)), result);
      }
    });
  }
  return result;
}

template <class T>
KnnResult approximate_knn(const T* points, Index n, Index d, Index k, const ApproximateKnnOptions& options) {
  check_k(n, k);
  if (options.cells < 0 || options.probes < 1 || options.kmeans_iterations < 0 || options.max_candidates < 0) {
    throw std::invalid_argument(
        "cells and max_candidates must be >= 0 (0: automatic), probes >= 1 and kmeans_iterations >= 0");
  }
  const Index cells = std::min(n, options.cells > 0 ? options.cells
                                                    : static_cast<Index>(std::ceil(3.0 * std::sqrt(static_cast<double>(n)))));
  const Index probes = std::min(options.probes, cells);
  const std::int64_t budget = options.max_candidates > 0 ? options.max_candidates
                                                         : static_cast<std::int64_t>(std::ceil(15.0 * std::sqrt(static_cast<double>(n))));
  const Vector<T> norms = squared_norms(points, n, d);
  const Matrix<T> centroids = kmeans_centroids(points, n, d, cells, options.kmeans_iterations, options.seed);
  const std::vector<std::int64_t> noted = nearest_centroids(points, n, d, centroids, probes);

  // File every point in its nearest cell: members of cell c in index order.
  std::vector<std::int64_t> nearest(static_cast<std::size_t>(n));
  for (Index i = 0; i < n; ++i) nearest[static_cast<std::size_t>(i)] = noted[static_cast<std::size_t>(i * probes)];
  const Groups filed = group_nodes(nearest.data(), n, cells);
  const std::vector<std::int64_t>& offsets = filed.offsets;
  const std::vector<std::int64_t>& members = filed.members;
  auto cell_size = [&](Index c) { return offsets[static_cast<std::size_t>(c + 1)] - offsets[static_cast<std::size_t>(c)]; };

  KnnResult result;
  result.indices.resize(n, k);
  result.distances.resize(n, k);
  parallel_for(0, cells, 8, [&](Index first, Index last) {
    std::vector<Index> marked(static_cast<std::size_t>(cells), -1);  // the last cell that noted each cell
    std::vector<Index> votes(static_cast<std::size_t>(cells), 0);    // and how many of its queries did
    std::vector<Index> searched;
    std::vector<std::int64_t> candidates;
    std::vector<Candidate> heap;
    Matrix<T> candidate_rows, query_rows, products;
    Vector<T> candidate_norms;
    for (Index c = first; c < last; ++c) {
      const Index queries = cell_size(c);
      if (queries == 0) continue;
      const std::int64_t* own = members.data() + offsets[static_cast<std::size_t>(c)];
      // Every cell a query of this one noted, most-noted first (its own cell leads: all its
      // queries noted it), taken while the candidates stay within the budget.
      searched.clear();
      for (Index q = 0; q < queries; ++q) {
        for (Index p = 0; p < probes; ++p) {
          const auto cell = static_cast<Index>(noted[static_cast<std::size_t>(own[q] * probes + p)]);
          if (marked[static_cast<std::size_t>(cell)] != c) {
            marked[static_cast<std::size_t>(cell)] = c;
            votes[static_cast<std::size_t>(cell)] = 0;
            searched.push_back(cell);
          }
          ++votes[static_cast<std::size_t>(cell)];
        }
      }
      std::sort(searched.begin(), searched.end(), [&](Index a, Index b) {
        return votes[static_cast<std::size_t>(a)] != votes[static_cast<std::size_t>(b)]
                   ? votes[static_cast<std::size_t>(a)] > votes[static_cast<std::size_t>(b)]
                   : a < b;
      });
      std::int64_t total = 0;
      std::size_t kept = 0;
      while (kept < searched.size() && (kept == 0 || total + cell_size(searched[kept]) <= budget)) {
        total += cell_size(searched[kept++]);
      }
      for (std::size_t dropped = kept; dropped < searched.size(); ++dropped) {
        marked[static_cast<std::size_t>(searched[dropped])] = -1;  // out of budget: free for the widening below
      }
      searched.resize(kept);
      if (total < k + 1) {  // too few points in reach: widen to the cells nearest this one
        std::vector<std::pair<T, Index>> by_distance;
        for (Index other = 0; other < cells; ++other) {
          by_distance.push_back({(centroids.col(other) - centroids.col(c)).squaredNorm(), other});
        }
        std::sort(by_distance.begin(), by_distance.end());
        for (const auto& [gap, other] : by_distance) {
          if (total >= k + 1) break;
          if (marked[static_cast<std::size_t>(other)] == c) continue;
          marked[static_cast<std::size_t>(other)] = c;
          searched.push_back(other);
          total += cell_size(other);
        }
      }
      candidates.clear();
      for (Index cell : searched) {
        candidates.insert(candidates.end(), members.begin() + offsets[static_cast<std::size_t>(cell)],
                          members.begin() + offsets[static_cast<std::size_t>(cell + 1)]);
      }
      const auto m = static_cast<Index>(candidates.size());
      candidate_rows.resize(d, m);
      query_rows.resize(d, queries);
      for (Index j = 0; j < m; ++j) {
        std::copy(points + candidates[static_cast<std::size_t>(j)] * d, points + (candidates[static_cast<std::size_t>(j)] + 1) * d,
                  candidate_rows.col(j).data());
      }
      for (Index q = 0; q < queries; ++q) std::copy(points + own[q] * d, points + (own[q] + 1) * d, query_rows.col(q).data());
      // Eigen's single-threaded GEMM: the cells already keep both cores busy.
      products.noalias() = candidate_rows.transpose() * query_rows;
      candidate_norms.resize(m);
      for (Index j = 0; j < m; ++j) candidate_norms(j) = norms(candidates[static_cast<std::size_t>(j)]);
      for (Index q = 0; q < queries; ++q) {
        const T* dots = products.col(q).data();
        keep_smallest<T>(m, k, own[q], [&](Index j) { return candidate_norms(j) - T(2) * dots[j]; },
                         [&](Index j) { return candidates[static_cast<std::size_t>(j)]; }, heap);
        write_row(heap, own[q], static_cast<double>(norms(own[q])), result);
      }
    }
  });
  return result;
}

void fuzzy_memberships(const double* distances, Index n, Index k, double* weights) {
  const double target = std::log2(static_cast<double>(k));
  parallel_for(0, n, 1024, [&](Index first, Index last) {
    std::vector<double> excess(static_cast<std::size_t>(k));
    for (Index i = first; i < last; ++i) {
      const double* row = distances + i * k;
      double* out = weights + i * k;
      double largest = 0.0;
      for (Index j = 0; j < k; ++j) {
        excess[static_cast<std::size_t>(j)] = std::max(row[j] - row[0], 0.0);
        largest = std::max(largest, excess[static_cast<std::size_t>(j)]);
      }
      if (target <= 1.0 || largest == 0.0) {  // every neighbour as near as the nearest: all full members
        std::fill(out, out + k, 1.0);
        continue;
      }
      // The row's sum grows with sigma from 1 (sigma -> 0: the nearest alone) towards k; this
      // bracket on log sigma holds every row's solution. Like UMAP, stop once the sum is within
      // 1e-5 of its target.
      const double scale = std::log(largest);
      double low = scale - 40.0, high = scale + 10.0, middle = 0.5 * (low + high);
      auto membership = [](double e, double sigma) { return e > 0.0 ? std::exp(-e / sigma) : 1.0; };
      for (int step = 0; step < kFuzzySteps; ++step) {
        const double sigma = std::exp(middle);
        double sum = 0.0;
        for (double e : excess) sum += membership(e, sigma);
        if (std::abs(sum - target) < 1e-5) break;
        (sum > target ? high : low) = middle;
        middle = 0.5 * (low + high);
      }
      const double sigma = std::exp(middle);
      for (Index j = 0; j < k; ++j) out[j] = membership(excess[static_cast<std::size_t>(j)], sigma);
    }
  });
}

template KnnResult exact_knn<float>(const float*, Index, Index, Index);
template KnnResult exact_knn<double>(const double*, Index, Index, Index);
template KnnResult approximate_knn<float>(const float*, Index, Index, Index, const ApproximateKnnOptions&);
template KnnResult approximate_knn<double>(const double*, Index, Index, Index, const ApproximateKnnOptions&);

}  // namespace netscope
