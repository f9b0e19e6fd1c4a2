#include <netscope/knn.hpp>
#include <netscope/parallel.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace netscope {
namespace {

// Distances of one query block to all points are held at once; this many entries keeps that
// matrix near 64 MB whatever n is.
constexpr Index kBlockEntries = Index{1} << 23;

using Candidate = std::pair<double, std::int64_t>;  // (ranking key, index): lexicographic order

}  // namespace

template <class T>
KnnResult exact_knn(const T* points, Index n, Index d, Index k) {
  if (n < 2) throw std::invalid_argument("X must hold at least 2 points");
  if (k < 1 || k >= n) {
    throw std::invalid_argument("k must be in [1, n - 1] = [1, " + std::to_string(n - 1) + "], got " +
                                std::to_string(k));
  }
  // Row-major (n, d) points are the column-major (d, n) matrix P.
  Vector<T> norms(n);
  parallel_for(0, n, 1024, [&](Index first, Index last) {
    for (Index i = first; i < last; ++i) {
      const T* row = points + i * d;
      T sum = 0;
      for (Index j = 0; j < d; ++j) sum += row[j] * row[j];
      norms(i) = sum;
    }
  });
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
        // Rank by |y|^2 - 2 x.y (the query's own |x|^2 is common to all): one multiply-add and
        // one compare per point, and the heap is touched only by the rare point that beats its
        // current k-th best. Scanning in index order keeps the lower index among equal keys.
        heap.clear();
        T threshold = std::numeric_limits<T>::infinity();
        for (Index i = 0; i < n; ++i) {
          const T key = norms(i) - T(2) * dots[i];
          if (!(key < threshold) || i == self) continue;
          if (static_cast<Index>(heap.size()) == k) {
            std::pop_heap(heap.begin(), heap.end());
            heap.pop_back();
          }
          heap.push_back({static_cast<double>(key), static_cast<std::int64_t>(i)});
          std::push_heap(heap.begin(), heap.end());
          if (static_cast<Index>(heap.size()) == k) threshold = static_cast<T>(heap.front().first);
        }
        std::sort_heap(heap.begin(), heap.end());
        const double self_norm = static_cast<double>(norms(self));
        for (Index j = 0; j < k; ++j) {
          const Candidate& best = heap[static_cast<std::size_t>(j)];
          result.indices(self, j) = best.second;
          // Rounding can make the expansion slightly negative for (near-)duplicates.
          result.distances(self, j) = std::sqrt(std::max(0.0, self_norm + best.first));
        }
      }
    });
  }
  return result;
}

template KnnResult exact_knn<float>(const float*, Index, Index, Index);
template KnnResult exact_knn<double>(const double*, Index, Index, Index);

}  // namespace netscope
