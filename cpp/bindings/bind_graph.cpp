// Structural maps: exact kNN and the Barnes-Hut force layout.
#include "pybind.hpp"

#include <netscope/knn.hpp>
#include <netscope/layout.hpp>

namespace netscope_bindings {

namespace {

template <class T>
py::tuple exact_knn_binding(const CArray<T>& points, Index k) {
  require_matrix(points, "X");
  netscope::KnnResult result;
  {
    py::gil_scoped_release release;
    result = netscope::exact_knn(points.data(), points.shape(0), points.shape(1), k);
  }
  return py::make_tuple(py::cast(std::move(result.indices)), py::cast(std::move(result.distances)));
}

// Lays out the CSR graph from `positions` (n, 2), which is overwritten with the result.
void force_layout_binding(const CArray<std::int64_t>& indptr, const CArray<std::int64_t>& indices,
                          const CArray<double>& weights, CArray<double>& positions, Index n_iter, double theta,
                          double gravity, std::uint64_t seed) {
  const Index n = indptr.size() - 1;
  if (n < 1 || positions.ndim() != 2 || positions.shape(0) != n || positions.shape(1) != 2) {
    throw std::invalid_argument("positions must have shape (n, 2) for a graph of n nodes");
  }
  if (indices.size() != weights.size() || indices.size() != indptr.data()[n]) {
    throw std::invalid_argument("graph: indices and weights must both hold indptr[-1] entries");
  }
  const netscope::CsrGraph graph{n, indptr.data(), indices.data(), weights.data()};
  double* data = positions.mutable_data();
  py::gil_scoped_release release;
  netscope::force_layout(graph, data, netscope::ForceLayoutOptions{n_iter, theta, gravity, seed});
}

}  // namespace

void bind_graph(py::module_& m) {
  m.def("exact_knn", &exact_knn_binding<double>, py::arg("X"), py::arg("k"));
  m.def("exact_knn", &exact_knn_binding<float>, py::arg("X"), py::arg("k"));
  m.def("force_layout", &force_layout_binding, py::arg("indptr"), py::arg("indices"), py::arg("weights"),
        py::arg("positions"), py::arg("n_iter"), py::arg("theta"), py::arg("gravity"), py::arg("seed"));
}

}  // namespace netscope_bindings
