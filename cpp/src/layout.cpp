#include <netscope/layout.hpp>
#include <netscope/parallel.hpp>
#include <netscope/random.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

namespace netscope {
namespace {

struct Point {
  double x, y;
};

// A quadtree over the current positions, rebuilt every iteration. Leaves hold up to
// kLeafCapacity points, stored contiguously in `order_`; every cell keeps its mass (points below
// it) and their coordinate sum, so a far cell acts as one body. Repulsion is computed per leaf:
// one walk of the tree serves all the leaf's points (the opening test uses the leaf's bounding
// circle), and each point still gets the exact direction to every accepted cell's centre of
// mass, in a loop over the gathered bodies that vectorises.
class QuadTree {
 public:
  explicit QuadTree(const std::vector<Point>& points) : points_(points) {
    order_.resize(points.size());
    for (std::size_t i = 0; i < order_.size(); ++i) order_[i] = static_cast<std::int32_t>(i);
    double min_x = points[0].x, max_x = min_x, min_y = points[0].y, max_y = min_y;
    for (const Point& p : points) {
      min_x = std::min(min_x, p.x);
      max_x = std::max(max_x, p.x);
      min_y = std::min(min_y, p.y);
      max_y = std::max(max_y, p.y);
    }
    const double half = 0.5 * std::max({max_x - min_x, max_y - min_y, 1e-9}) * (1.0 + 1e-9);
    cells_.reserve(points.size() / 2 + 16);
    build(0.5 * (min_x + max_x), 0.5 * (min_y + max_y), half, 0, static_cast<std::int32_t>(points.size()), 0);
  }

  const std::vector<std::int32_t>& leaves() const { return leaves_; }

  // The points of a leaf, as a range of indices.
  struct Range {
    const std::int32_t* first;
    const std::int32_t* last;
    const std::int32_t* begin() const { return first; }
    const std::int32_t* end() const { return last; }
  };
  Range leaf_points(std::int32_t leaf) const {
    const Cell& cell = cells_[static_cast<std::size_t>(leaf)];
    return {order_.data() + cell.begin, order_.data() + cell.end};
  }

  // Bodies that repel the points of one leaf: far cells as their centre of mass, near points
  // one by one. Gathered first, then summed in one branch-free loop the compiler vectorises.
  struct Bodies {
    std::vector<double> x, y, mass;
    void clear() {
      x.clear();
      y.clear();
      mass.clear();
    }
    void add(double bx, double by, double m) {
      x.push_back(bx);
      y.push_back(by);
      mass.push_back(m);
    }
  };

  // Adds to force[i], for every point i of `leaf`, the repulsion k^2 (p_i - q) / |p_i - q|^2 of
  // all other points q, far cells approximated by their centre of mass when
  // width < theta * (distance from the leaf's centre - the leaf's radius). `bodies` is scratch.
  void leaf_repulsion(std::int32_t leaf, double theta, double k2, std::vector<Point>& force, Bodies& bodies) const {
    const Cell& own = cells_[static_cast<std::size_t>(leaf)];
    const double ox = own.sum_x / own.mass, oy = own.sum_y / own.mass;
    bodies.clear();
    std::array<std::int32_t, 256> stack{};
    int top = 0;
    stack[top++] = 0;
    while (top > 0) {
      const Cell& cell = cells_[static_cast<std::size_t>(stack[--top])];
      const bool contains_leaf = cell.begin <= own.begin && own.end <= cell.end;
      if (!contains_leaf) {
        const double cx = cell.sum_x / cell.mass, cy = cell.sum_y / cell.mass;
        const double gap = std::sqrt((ox - cx) * (ox - cx) + (oy - cy) * (oy - cy)) - own.radius;
        if (gap > 0 && 2.0 * cell.half < theta * gap) {
          bodies.add(cx, cy, cell.mass);
          continue;
        }
      }
      if (cell.leaf) {
        // The own leaf's points come in too: a point at distance 0 (itself) adds nothing below.
        for (std::int32_t slot = cell.begin; slot < cell.end; ++slot) {
          const Point& q = points_[static_cast<std::size_t>(order_[static_cast<std::size_t>(slot)])];
          bodies.add(q.x, q.y, 1.0);
        }
        continue;
      }
      for (std::int32_t c : cell.child) {
        if (c >= 0 && top < static_cast<int>(stack.size())) stack[top++] = c;
      }
    }
    const double* bx = bodies.x.data();
    const double* by = bodies.y.data();
    const double* bm = bodies.mass.data();
    const std::size_t count = bodies.x.size();
    for (std::int32_t slot = own.begin; slot < own.end; ++slot) {
      const std::int32_t i = order_[static_cast<std::size_t>(slot)];
      const Point p = points_[static_cast<std::size_t>(i)];
      double fx = 0.0, fy = 0.0;
      for (std::size_t b = 0; b < count; ++b) {
        const double dx = p.x - bx[b], dy = p.y - by[b];
        const double d2 = dx * dx + dy * dy;
        // Coincident points (and the point itself) have no direction to repel along.
        const double scale = d2 > 1e-18 ? bm[b] / d2 : 0.0;
        fx += scale * dx;
        fy += scale * dy;
      }
      force[static_cast<std::size_t>(i)].x += k2 * fx;
      force[static_cast<std::size_t>(i)].y += k2 * fy;
    }
  }

 private:
  static constexpr std::int32_t kLeafCapacity = 8;
  static constexpr int kMaxDepth = 48;  // below this, (nearly) coincident points share a leaf

  struct Cell {
    double cx, cy, half;
    double mass = 0, sum_x = 0, sum_y = 0, radius = 0;
    std::array<std::int32_t, 4> child{-1, -1, -1, -1};
    std::int32_t begin = 0, end = 0;  // the cell's points: order_[begin .. end)
    bool leaf = true;
  };

  std::int32_t build(double cx, double cy, double half, std::int32_t begin, std::int32_t end, int depth) {
    const auto index = static_cast<std::int32_t>(cells_.size());
    cells_.push_back(Cell{cx, cy, half});
    Cell cell{cx, cy, half};
    cell.begin = begin;
    cell.end = end;
    if (end - begin <= kLeafCapacity || depth >= kMaxDepth) {
      for (std::int32_t slot = begin; slot < end; ++slot) {
        const Point& p = points_[static_cast<std::size_t>(order_[static_cast<std::size_t>(slot)])];
        cell.mass += 1;
        cell.sum_x += p.x;
        cell.sum_y += p.y;
      }
      const double mx = cell.sum_x / cell.mass, my = cell.sum_y / cell.mass;
      for (std::int32_t slot = begin; slot < end; ++slot) {
        const Point& p = points_[static_cast<std::size_t>(order_[static_cast<std::size_t>(slot)])];
        cell.radius = std::max(cell.radius, std::sqrt((p.x - mx) * (p.x - mx) + (p.y - my) * (p.y - my)));
      }
      cells_[static_cast<std::size_t>(index)] = cell;
      leaves_.push_back(index);
      return index;
    }
    cell.leaf = false;
    // Partition the points into the four quadrants: below/above cy, then left/right of cx.
    auto first = order_.begin() + begin, last = order_.begin() + end;
    auto is_low = [&](std::int32_t i) { return points_[static_cast<std::size_t>(i)].y < cy; };
    auto is_left = [&](std::int32_t i) { return points_[static_cast<std::size_t>(i)].x < cx; };
    const auto middle = std::partition(first, last, is_low);
    const auto low_split = std::partition(first, middle, is_left);
    const auto high_split = std::partition(middle, last, is_left);
    const std::array<std::int32_t, 5> bounds{begin, static_cast<std::int32_t>(low_split - order_.begin()),
                                             static_cast<std::int32_t>(middle - order_.begin()),
                                             static_cast<std::int32_t>(high_split - order_.begin()), end};
    const double h = 0.5 * half;
    for (int q = 0; q < 4; ++q) {  // quadrant q: bit 0 = right of cx, bit 1 = above cy
      if (bounds[static_cast<std::size_t>(q + 1)] > bounds[static_cast<std::size_t>(q)]) {
        const std::int32_t child =
            build(cx + ((q & 1) ? h : -h), cy + ((q & 2) ? h : -h), h, bounds[static_cast<std::size_t>(q)],
                  bounds[static_cast<std::size_t>(q + 1)], depth + 1);
        cell.child[static_cast<std::size_t>(q)] = child;
        const Cell& built = cells_[static_cast<std::size_t>(child)];  // sums bottom-up: O(n) in all
        cell.mass += built.mass;
        cell.sum_x += built.sum_x;
        cell.sum_y += built.sum_y;
      }
    }
    cells_[static_cast<std::size_t>(index)] = cell;
    return index;
  }

  const std::vector<Point>& points_;
  std::vector<std::int32_t> order_;
  std::vector<Cell> cells_;
  std::vector<std::int32_t> leaves_;
};

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
    const std::uint64_t h = splitmix64(options.seed ^ splitmix64(static_cast<std::uint64_t>(i)));
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
    std::fill(displacement.begin(), displacement.end(), Point{0.0, 0.0});
    // Springs along the edges and gravity, for node i: added after its repulsion, by the same task.
    auto add_attraction = [&](Index i) {
      const Point p = points[static_cast<std::size_t>(i)];
      Point& force = displacement[static_cast<std::size_t>(i)];
      for (std::int64_t e = graph.indptr[i]; e < graph.indptr[i + 1]; ++e) {
        const Point q = points[static_cast<std::size_t>(graph.indices[e])];
        const double dx = q.x - p.x, dy = q.y - p.y;
        const double d = std::sqrt(dx * dx + dy * dy);
        force.x += graph.weights[e] * d * dx / k;
        force.y += graph.weights[e] * d * dy / k;
      }
      force.x -= options.gravity * p.x;
      force.y -= options.gravity * p.y;
    };
    if (options.theta > 0) {
      const QuadTree tree(points);
      const std::vector<std::int32_t>& leaves = tree.leaves();
      parallel_for(0, static_cast<Index>(leaves.size()), 32, [&](Index first, Index last) {
        QuadTree::Bodies bodies;
        for (Index l = first; l < last; ++l) {
          const std::int32_t leaf = leaves[static_cast<std::size_t>(l)];
          tree.leaf_repulsion(leaf, options.theta, k2, displacement, bodies);
          for (std::int32_t i : tree.leaf_points(leaf)) add_attraction(i);
        }
      });
    } else {
      parallel_for(0, n, 256, [&](Index first, Index last) {
        for (Index i = first; i < last; ++i) {
          const Point p = points[static_cast<std::size_t>(i)];
          Point& force = displacement[static_cast<std::size_t>(i)];
          for (Index j = 0; j < n; ++j) {
            const double dx = p.x - points[static_cast<std::size_t>(j)].x;
            const double dy = p.y - points[static_cast<std::size_t>(j)].y;
            const double d2 = dx * dx + dy * dy;
            if (j != i && d2 > 1e-18) {
              force.x += k2 * dx / d2;
              force.y += k2 * dy / d2;
            }
          }
          add_attraction(i);
        }
      });
    }
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
