// Structural maps: exact and approximate kNN, the Barnes-Hut force layout and the neighbour embedding.
#include "pybind.hpp"

#include <netscope/knn.hpp>
#include <netscope/layout.hpp>
#include <netscope/neighbor_embedding.hpp>
#include <netscope/nn_descent.hpp>

#include <string>

namespace netscope_bindings {

namespace {

// Runs search(points, n, d) -> KnnResult without the GIL; returns (indices, distances).
template <class T, class Search>
py::tuple knn_binding(const CArray<T>& points, Search search) {
  require_matrix(points, "X");
  netscope::KnnResult result;
  {
    py::gil_scoped_release release;
    result = search(points.data(), points.shape(0), points.shape(1));
  }
  return py::make_tuple(py::cast(std::move(result.indices)), py::cast(std::move(result.distances)));
}

template <class T>
py::tuple exact_knn_binding(const CArray<T>& points, Index k) {
  return knn_binding(points, [k](const T* x, Index n, Index d) { return netscope::exact_knn(x, n, d, k); });
}

template <class T>
py::tuple approximate_knn_binding(const CArray<T>& points, Index k, Index cells, Index probes, Index kmeans_iterations,
                                  Index max_candidates, std::uint64_t seed) {
  const netscope::ApproximateKnnOptions options{cells, probes, kmeans_iterations, max_candidates, seed};
  return knn_binding(points, [&](const T* x, Index n, Index d) { return netscope::approximate_knn(x, n, d, k, options); });
}

// NN-descent started from the (n, k0) `start` indices: (indices, distances, updates per round).
template <class T>
py::tuple nn_descent_binding(const CArray<T>& points, const CArray<std::int64_t>& start, Index width, Index k,
                             Index max_rounds, Index max_candidates, double delta, std::uint64_t seed) {
  require_matrix(points, "X");
  require_matrix(start, "start");
  if (start.shape(0) != points.shape(0)) throw std::invalid_argument("start must have one row per point of X");
  const netscope::NnDescentOptions options{max_rounds, max_candidates, delta, 0.5, seed};
  netscope::KnnResult result;
  netscope::NnDescentReport report;
  {
    py::gil_scoped_release release;  // reads the points and the start in place, writes only its own arrays
    result = netscope::nn_descent(points.data(), points.shape(0), points.shape(1), start.data(), start.shape(1), width, k,
                                  options, &report);
  }
  py::array_t<std::int64_t> updates(static_cast<py::ssize_t>(report.updates.size()));
  std::copy(report.updates.begin(), report.updates.end(), updates.mutable_data());
  return py::make_tuple(py::cast(std::move(result.indices)), py::cast(std::move(result.distances)), updates);
}

// UMAP's membership strengths of the (n, k) kNN distances, as a new (n, k) array.
py::array_t<double> fuzzy_memberships_binding(const CArray<double>& distances) {
  require_matrix(distances, "distances");
  const Index n = distances.shape(0), k = distances.shape(1);
  py::array_t<double> weights({n, k});
  double* out = weights.mutable_data();
  const double* in = distances.data();
  {
    py::gil_scoped_release release;
    netscope::fuzzy_memberships(in, n, k, out);
  }
  return weights;
}

// The undirected graph of (n, k) kNN lists: (indptr int64, indices int32, weights float64) of a
// CSR matrix, handed to numpy without a copy.
py::tuple symmetrize_knn_binding(const CArray<std::int64_t>& neighbours, const CArray<double>& weights,
                                 const std::string& mode) {
  require_matrix(neighbours, "neighbours");
  if (weights.ndim() != 2 || weights.shape(0) != neighbours.shape(0) || weights.shape(1) != neighbours.shape(1)) {
    throw std::invalid_argument("weights must have the shape of neighbours");
  }
  const netscope::Symmetrize how = mode == "fuzzy_union" ? netscope::Symmetrize::kFuzzyUnion
                                   : mode == "max_union" ? netscope::Symmetrize::kMaxUnion
                                   : mode == "mutual"    ? netscope::Symmetrize::kMutual
                                                         : throw std::invalid_argument("mode must be 'fuzzy_union', "
                                                                                       "'max_union' or 'mutual'");
  netscope::OwnedCsr csr;
  {
    py::gil_scoped_release release;  // reads the caller's arrays in place, writes only its own
    csr = netscope::symmetrize_knn(neighbours.data(), weights.data(), neighbours.shape(0), neighbours.shape(1), how);
  }
  return py::make_tuple(py::cast(std::move(csr.indptr)), py::cast(std::move(csr.indices)),
                        py::cast(std::move(csr.weights)));
}

// The CSR arrays as a core graph of n nodes, after the checks that keep the core's reads in bounds.
netscope::CsrGraph csr_graph(const CArray<std::int64_t>& indptr, const CArray<std::int32_t>& indices,
                             const CArray<double>& weights) {
  const Index n = indptr.size() - 1;
  if (n < 1) throw std::invalid_argument("graph: indptr must hold n + 1 >= 2 entries");
  if (indices.size() != weights.size() || indices.size() != indptr.data()[n]) {
    throw std::invalid_argument("graph: indices and weights must both hold indptr[-1] entries");
  }
  return netscope::CsrGraph{n, indptr.data(), indices.data(), weights.data()};
}

netscope::CsrGraph csr_graph(const CArray<std::int64_t>& indptr, const CArray<std::int32_t>& indices,
                             const CArray<double>& weights, const CArray<double>& positions) {
  const netscope::CsrGraph graph = csr_graph(indptr, indices, weights);
  if (positions.ndim() != 2 || positions.shape(0) != graph.n || positions.shape(1) != 2) {
    throw std::invalid_argument("positions must have shape (n, 2) for a graph of n nodes");
  }
  return graph;
}

// The largest |w_ij - w_ji| of a CSR graph with sorted rows (0 when it is symmetric).
double max_asymmetry_binding(const CArray<std::int64_t>& indptr, const CArray<std::int32_t>& indices,
                             const CArray<double>& weights) {
  const netscope::CsrGraph graph = csr_graph(indptr, indices, weights);
  py::gil_scoped_release release;  // reads the caller's arrays only
  return netscope::max_asymmetry(graph);
}

// Lays out the CSR graph from `positions` (n, 2), which is overwritten with the result.
void force_layout_binding(const CArray<std::int64_t>& indptr, const CArray<std::int32_t>& indices,
                          const CArray<double>& weights, CArray<double>& positions, Index n_iter, double theta,
                          double gravity, std::uint64_t seed) {
  const netscope::CsrGraph graph = csr_graph(indptr, indices, weights, positions);
  double* data = positions.mutable_data();
  py::gil_scoped_release release;
  netscope::force_layout(graph, data, netscope::ForceLayoutOptions{n_iter, theta, gravity, seed});
}

// Neighbour embedding of the CSR graph from `positions` (n, 2), overwritten with the result;
// `components` (n,) labels each node's connected component in [0, n_components).
void neighbor_embedding_binding(const CArray<std::int64_t>& indptr, const CArray<std::int32_t>& indices,
                                const CArray<double>& weights, const CArray<std::int64_t>& components,
                                Index n_components, CArray<double>& positions, Index n_epochs, double learning_rate,
                                Index negative_samples, double dof, double repulsion, double early_exaggeration,
                                std::uint64_t seed) {
  const netscope::CsrGraph graph = csr_graph(indptr, indices, weights, positions);
  if (components.size() != graph.n) throw std::invalid_argument("components must hold one label per node");
  double* data = positions.mutable_data();
  py::gil_scoped_release release;
  netscope::neighbor_embedding(graph, components.data(), n_components, data,
                               netscope::NeighborEmbeddingOptions{n_epochs, learning_rate, negative_samples, dof, repulsion,
                                                                  early_exaggeration, seed});
}

}  // namespace

void bind_graph(py::module_& m) {
  m.def("exact_knn", &exact_knn_binding<double>, py::arg("X"), py::arg("k"));
  m.def("exact_knn", &exact_knn_binding<float>, py::arg("X"), py::arg("k"));
  m.def("fuzzy_memberships", &fuzzy_memberships_binding, py::arg("distances"));
  m.def("approximate_knn", &approximate_knn_binding<double>, py::arg("X"), py::arg("k"), py::arg("cells"),
        py::arg("probes"), py::arg("kmeans_iterations"), py::arg("max_candidates"), py::arg("seed"));
  m.def("approximate_knn", &approximate_knn_binding<float>, py::arg("X"), py::arg("k"), py::arg("cells"),
        py::arg("probes"), py::arg("kmeans_iterations"), py::arg("max_candidates"), py::arg("seed"));
  m.def("nn_descent", &nn_descent_binding<double>, py::arg("X"), py::arg("start"), py::arg("width"), py::arg("k"),
        py::arg("max_rounds"), py::arg("max_candidates"), py::arg("delta"), py::arg("seed"));
  m.def("nn_descent", &nn_descent_binding<float>, py::arg("X"), py::arg("start"), py::arg("width"), py::arg("k"),
        py::arg("max_rounds"), py::arg("max_candidates"), py::arg("delta"), py::arg("seed"));
  m.def("symmetrize_knn", &symmetrize_knn_binding, py::arg("neighbours"), py::arg("weights"), py::arg("mode"));
  m.def("max_asymmetry", &max_asymmetry_binding, py::arg("indptr"), py::arg("indices"), py::arg("weights"));
  m.def("force_layout", &force_layout_binding, py::arg("indptr"), py::arg("indices"), py::arg("weights"),
        py::arg("positions"), py::arg("n_iter"), py::arg("theta"), py::arg("gravity"), py::arg("seed"));
  m.def("neighbor_embedding", &neighbor_embedding_binding, py::arg("indptr"), py::arg("indices"), py::arg("weights"),
        py::arg("components"), py::arg("n_components"), py::arg("positions"), py::arg("n_epochs"),
        py::arg("learning_rate"), py::arg("negative_samples"), py::arg("dof"), py::arg("repulsion"),
        py::arg("early_exaggeration"), py::arg("seed"));
}

}  // namespace netscope_bindings
