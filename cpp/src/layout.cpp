#include <netscope/layout.hpp>
#include <netscope/parallel.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace netscope {
namespace {

struct Point {
  double x, y;
};

// A quadtree over the current positions, rebuilt every iteration. Each node keeps its mass (the
// number of points below it) and their sum of coordinates, so a far node acts as one body.
class QuadTree {
 public:
  QuadTree(const std::vector<Point>& points) : points_(points) {
    double min_x = points[0].x, max_x = min_x, min_y = points[0].y, max_y = min_y;
    for (const Point& p : points) {
      min_x = std::min(min_x, p.x);
      max_x = std::max(max_x, p.x);
      min_y = std::min(min_y, p.y);
      max_y = std::max(max_y, p.y);
    }
    const double half = 0.5 * std::max({max_x - min_x, max_y - min_y, 1e-9}) * (1.0 + 1e-9);
    nodes_.reserve(2 * points.size());
    nodes_.push_back(Node{0.5 * (min_x + max_x), 0.5 * (min_y + max_y), half});
    for (std::size_t i = 0; i < points.size(); ++i) insert(static_cast<std::int32_t>(i));
  }

  // Repulsive force k^2 (p - q) / |p - q|^2 summed over all points q != self, with far groups
  // approximated by their centre of mass when (node width / distance) < theta.
  Point repulsion(std::int32_t self, double theta, double k2) const {
    const Point p = points_[static_cast<std::size_t>(self)];
    Point force{0.0, 0.0};
    std::array<std::int32_t, 256> stack{};
    int top = 0;
    stack[top++] = 0;
    while (top > 0) {
      const Node& node = nodes_[static_cast<std::size_t>(stack[--top])];
      if (node.mass == 0) continue;
      const double cx = node.sum_x / node.mass, cy = node.sum_y / node.mass;
      const double dx = p.x - cx, dy = p.y - cy;
      const double d2 = dx * dx + dy * dy;
      const bool leaf = node.child[0] < 0 && node.child[1] < 0 && node.child[2] < 0 && node.child[3] < 0;
      if (leaf) {
        // Skip self; a leaf of coincident points that holds self (d2 = 0) has no direction.
        if ((node.point == self && node.mass == 1) || d2 <= 1e-18) continue;
        force.x += k2 * node.mass * dx / d2;
        force.y += k2 * node.mass * dy / d2;
        continue;
      }
      const double width = 2.0 * node.half;
      if (width * width < theta * theta * d2) {
        force.x += k2 * node.mass * dx / d2;
        force.y += k2 * node.mass * dy / d2;
        continue;
      }
      for (std::int32_t c : node.child) {
        if (c >= 0 && top < static_cast<int>(stack.size())) stack[top++] = c;
      }
    }
    return force;
  }

 private:
  static constexpr int kMaxDepth = 48;  // below this, coincident points share one leaf

  struct Node {
    double cx, cy, half;
    double mass = 0, sum_x = 0, sum_y = 0;
    std::array<std::int32_t, 4> child{-1, -1, -1, -1};
    std::int32_t point = -1;  // the point a one-point leaf holds
  };

  int quadrant(const Node& node, const Point& p) const {
    return (p.x >= node.cx ? 1 : 0) + (p.y >= node.cy ? 2 : 0);
  }

  std::int32_t make_child(std::size_t parent, int q) {
    const Node& node = nodes_[parent];
    const double h = 0.5 * node.half;
    Node child{node.cx + ((q & 1) ? h : -h), node.cy + ((q & 2) ? h : -h), h};
    nodes_.push_back(child);
    const auto index = static_cast<std::int32_t>(nodes_.size() - 1);
    nodes_[parent].child[static_cast<std::size_t>(q)] = index;
    return index;
  }

  void insert(std::int32_t i) {
    const Point p = points_[static_cast<std::size_t>(i)];
    std::size_t current = 0;
    for (int depth = 0;; ++depth) {
      Node& node = nodes_[current];
      const bool leaf = node.child[0] < 0 && node.child[1] < 0 && node.child[2] < 0 && node.child[3] < 0;
      if (leaf && node.mass == 0) {
        node.point = i;
        add(node, p);
        return;
      }
      if (leaf && depth >= kMaxDepth) {  // (nearly) coincident points: one leaf, summed mass
        add(node, p);
        return;
      }
      if (leaf) {  // split: push the stored point one level down, then keep descending with p
        const std::int32_t stored = node.point;
        const Point q = points_[static_cast<std::size_t>(stored)];
        const int qq = quadrant(node, q);
        node.point = -1;
        const std::int32_t child = make_child(current, qq);
        Node& moved = nodes_[static_cast<std::size_t>(child)];
        moved.point = stored;
        add(moved, q);
      }
      Node& parent = nodes_[current];
      add(parent, p);
      const int qp = quadrant(parent, p);
      std::int32_t next = parent.child[static_cast<std::size_t>(qp)];
      if (next < 0) next = make_child(current, qp);
      current = static_cast<std::size_t>(next);
    }
  }

  static void add(Node& node, const Point& p) {
    node.mass += 1;
    node.sum_x += p.x;
    node.sum_y += p.y;
  }

  const std::vector<Point>& points_;
  std::vector<Node> nodes_;
};

std::uint64_t mix(std::uint64_t x) {
  x ^= x >> 33;
  x *= 0xFF51AFD7ED558CCDULL;
  x ^= x >> 33;
  x *= 0xC4CEB9FE1A85EC53ULL;
  return x ^ (x >> 33);
}

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

}  // namespace

void force_layout(const CsrGraph& graph, double* positions, const ForceLayoutOptions& options) {
  check_graph(graph);
  if (options.n_iter < 0) throw std::invalid_argument("n_iter must be >= 0");
  if (options.theta < 0) throw std::invalid_argument("theta must be >= 0");
  const Index n = graph.n;
  std::vector<Point> points(static_cast<std::size_t>(n));
  for (Index i = 0; i < n; ++i) points[static_cast<std::size_t>(i)] = {positions[2 * i], positions[2 * i + 1]};

  // Scale the start so that the layout covers an area of about n ideal edge lengths squared.
  double mean_x = 0, mean_y = 0;
  for (const Point& p : points) {
    mean_x += p.x / static_cast<double>(n);
    mean_y += p.y / static_cast<double>(n);
  }
  double spread = 0;
  for (const Point& p : points) spread += (p.x - mean_x) * (p.x - mean_x) + (p.y - mean_y) * (p.y - mean_y);
  spread = std::sqrt(spread / static_cast<double>(n));
  const double target = 0.5 * std::sqrt(static_cast<double>(n));
  const double scale = spread > 0 ? target / spread : 1.0;
  for (std::size_t i = 0; i < points.size(); ++i) {
    // Coincident starts get a deterministic nudge so that repulsion has a direction.
    const std::uint64_t h = mix(options.seed ^ mix(static_cast<std::uint64_t>(i)));
    const double nudge_x = (static_cast<double>(h & 0xFFFF) / 65535.0 - 0.5) * 1e-3;
    const double nudge_y = (static_cast<double>((h >> 16) & 0xFFFF) / 65535.0 - 0.5) * 1e-3;
    points[i] = {(points[i].x - mean_x) * scale + nudge_x, (points[i].y - mean_y) * scale + nudge_y};
  }

  const double k = 1.0, k2 = k * k;
  const double start_temperature = 0.1 * std::sqrt(static_cast<double>(n)) + 1.0;
  std::vector<Point> displacement(points.size());
  for (Index iteration = 0; iteration < options.n_iter; ++iteration) {
    const double temperature =
        start_temperature * (1.0 - static_cast<double>(iteration) / static_cast<double>(options.n_iter));
    std::unique_ptr<QuadTree> tree;
    if (options.theta > 0) tree = std::make_unique<QuadTree>(points);
    parallel_for(0, n, 256, [&](Index first, Index last) {
      for (Index i = first; i < last; ++i) {
        const Point p = points[static_cast<std::size_t>(i)];
        Point force{0.0, 0.0};
        if (tree) {
          force = tree->repulsion(static_cast<std::int32_t>(i), options.theta, k2);
        } else {
          for (Index j = 0; j < n; ++j) {
            if (j == i) continue;
            const double dx = p.x - points[static_cast<std::size_t>(j)].x;
            const double dy = p.y - points[static_cast<std::size_t>(j)].y;
            const double d2 = dx * dx + dy * dy;
            if (d2 > 1e-18) {
              force.x += k2 * dx / d2;
              force.y += k2 * dy / d2;
            }
          }
        }
        for (std::int64_t e = graph.indptr[i]; e < graph.indptr[i + 1]; ++e) {
          const Point q = points[static_cast<std::size_t>(graph.indices[e])];
          const double dx = q.x - p.x, dy = q.y - p.y;
          const double d = std::sqrt(dx * dx + dy * dy);
          force.x += graph.weights[e] * d * dx / k;
          force.y += graph.weights[e] * d * dy / k;
        }
        force.x -= options.gravity * p.x;
        force.y -= options.gravity * p.y;
        displacement[static_cast<std::size_t>(i)] = force;
      }
    });
    for (std::size_t i = 0; i < points.size(); ++i) {
      const Point f = displacement[i];
      const double length = std::sqrt(f.x * f.x + f.y * f.y);
      if (length > 0) {
        const double step = std::min(length, temperature) / length;
        points[i].x += f.x * step;
        points[i].y += f.y * step;
      }
    }
  }
  for (Index i = 0; i < n; ++i) {
    positions[2 * i] = points[static_cast<std::size_t>(i)].x;
    positions[2 * i + 1] = points[static_cast<std::size_t>(i)].y;
  }
}

}  // namespace netscope
