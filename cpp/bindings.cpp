// pybind11 module netscope._core: numpy in, numpy out. Arrays arrive C-contiguous in their own
// dtype (the Python layer converts, so nothing is copied here) and results leave as numpy arrays
// that own the Eigen buffers they were computed in. Every heavy call releases the GIL: the core
// touches no Python object, and the argument arrays stay referenced by the caller's frame.
#include <netscope/gram.hpp>
#include <netscope/knn.hpp>
#include <netscope/layout.hpp>
#include <netscope/linalg.hpp>
#include <netscope/parallel.hpp>
#include <netscope/rsvd.hpp>
#include <netscope/sketch.hpp>

#include <pybind11/eigen.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>
#include <tuple>

namespace py = pybind11;
using namespace netscope;

namespace {

template <class T>
using CArray = py::array_t<T, py::array::c_style>;

template <class T>
void require_matrix(const CArray<T>& array, const char* name) {
  if (array.ndim() != 2) {
    throw std::invalid_argument(std::string(name) + " must be 2-D, got " +
                                std::to_string(array.ndim()) + "-D");
  }
}

// update() of a GramAccumulator or a NystromSketch: both take row-major (n, dim) chunks.
template <class Accumulator, class T>
void update_rows(Accumulator& accumulator, const CArray<T>& rows) {
  require_matrix(rows, "G");
  if (rows.shape(1) != accumulator.dim()) {
    throw std::invalid_argument("G must have " + std::to_string(accumulator.dim()) + " columns, got " +
                                std::to_string(rows.shape(1)));
  }
  const T* data = rows.data();
  const Index n = rows.shape(0);
  py::gil_scoped_release release;
  accumulator.update(data, n);
}

// The accumulator's running sum as a flat, writable float64 array over its own buffer (kept alive
// by `owner`), for collective reductions across processes to sum in place.
template <class Accumulator, Matrix<double>& (Accumulator::*Sum)()>
py::array state_buffer(py::object owner) {
  Matrix<double>& sum = (owner.cast<Accumulator&>().*Sum)();
  return py::array_t<double>({static_cast<py::ssize_t>(sum.size())}, {static_cast<py::ssize_t>(sizeof(double))},
                             sum.data(), owner);
}

template <class T>
py::tuple randomized_svd_binding(const CArray<T>& a, Index k, Index oversamples, Index depth,
                                 std::uint64_t seed) {
  require_matrix(a, "A");
  SvdResult<T> result;
  {
    py::gil_scoped_release release;
    result = randomized_svd(a.data(), a.shape(0), a.shape(1), k,
                            KrylovOptions{oversamples, depth, seed});
  }
  return py::make_tuple(py::cast(std::move(result.u)), py::cast(std::move(result.s)),
                        py::cast(std::move(result.vt)));
}

template <class T>
py::tuple eigh_top_binding(const CArray<T>& c, Index k, Index oversamples, Index depth,
                           std::uint64_t seed) {
  require_matrix(c, "C");
  if (c.shape(0) != c.shape(1)) throw std::invalid_argument("C must be square");
  EigenResult<T> result;
  {
    py::gil_scoped_release release;
    result = eigh_top(c.data(), c.shape(0), k, KrylovOptions{oversamples, depth, seed});
  }
  return py::make_tuple(py::cast(std::move(result.values)), py::cast(std::move(result.vectors)));
}

template <class T>
Vector<T> symmetric_eigenvalues_binding(const CArray<T>& c) {
  require_matrix(c, "C");
  if (c.shape(0) != c.shape(1)) throw std::invalid_argument("C must be square");
  py::gil_scoped_release release;
  Matrix<T> copy = Eigen::Map<const Matrix<T>>(c.data(), c.shape(0), c.shape(1));
  return symmetric_eigenvalues(copy);
}

template <class T>
Index first_nonfinite_row_binding(const CArray<T>& a) {
  require_matrix(a, "array");
  py::gil_scoped_release release;
  return first_nonfinite_row(a.data(), a.shape(0), a.shape(1));
}

template <class T>
double relative_asymmetry_binding(const CArray<T>& c) {
  require_matrix(c, "C");
  if (c.shape(0) != c.shape(1)) throw std::invalid_argument("C must be square");
  py::gil_scoped_release release;
  return relative_asymmetry(c.data(), c.shape(0));
}

template <class T>
py::tuple exact_knn_binding(const CArray<T>& points, Index k) {
  require_matrix(points, "X");
  KnnResult result;
  {
    py::gil_scoped_release release;
    result = exact_knn(points.data(), points.shape(0), points.shape(1), k);
  }
  return py::make_tuple(py::cast(std::move(result.indices)), py::cast(std::move(result.distances)));
}

// Lays out the CSR graph from `positions` (n, 2), which is overwritten with the result.
void force_layout_binding(const CArray<std::int64_t>& indptr, const CArray<std::int64_t>& indices,
                          const CArray<double>& weights, CArray<double>& positions, Index n_iter,
                          double theta, double gravity, std::uint64_t seed) {
  const Index n = indptr.size() - 1;
  if (n < 1 || positions.ndim() != 2 || positions.shape(0) != n || positions.shape(1) != 2) {
    throw std::invalid_argument("positions must have shape (n, 2) for a graph of n nodes");
  }
  if (indices.size() != weights.size() || indices.size() != indptr.data()[n]) {
    throw std::invalid_argument("graph: indices and weights must both hold indptr[-1] entries");
  }
  const CsrGraph graph{n, indptr.data(), indices.data(), weights.data()};
  double* data = positions.mutable_data();
  py::gil_scoped_release release;
  force_layout(graph, data, ForceLayoutOptions{n_iter, theta, gravity, seed});
}

}  // namespace

PYBIND11_MODULE(_core, m) {
  m.doc() = "netscope's C++ core (private: use the netscope package)";

  py::enum_<GramPrecision>(m, "GramPrecision")
      .value("float64", GramPrecision::Float64)
      .value("mixed", GramPrecision::Mixed);

  py::class_<GramAccumulator>(m, "GramAccumulator")
      .def(py::init<Index, GramPrecision>(), py::arg("dim"), py::arg("precision"))
      .def("update", &update_rows<GramAccumulator, double>, py::arg("G"))
      .def("update", &update_rows<GramAccumulator, float>, py::arg("G"))
      .def("merge", &GramAccumulator::merge, py::arg("other"),
           py::call_guard<py::gil_scoped_release>())
      .def_property_readonly("dim", &GramAccumulator::dim)
      .def_property_readonly("count", &GramAccumulator::count)
      .def_property_readonly("precision", &GramAccumulator::precision)
      .def("mean",
           [](const GramAccumulator& gram) {
             Matrix<double> full;
             {
               py::gil_scoped_release release;
               full = gram.mean();
             }
             return py::cast(std::move(full));
           })
      .def("save", &GramAccumulator::save, py::arg("path"),
           py::call_guard<py::gil_scoped_release>())
      .def_static("load", &GramAccumulator::load, py::arg("path"),
                  py::call_guard<py::gil_scoped_release>())
      .def("state_buffer", &state_buffer<GramAccumulator, &GramAccumulator::mutable_sum>)
      .def("set_count", &GramAccumulator::set_count, py::arg("count"));

  py::class_<NystromSketch>(m, "NystromSketch")
      .def(py::init<Index, Index, std::uint64_t>(), py::arg("dim"), py::arg("sketch_size"), py::arg("seed"))
      .def("update", &update_rows<NystromSketch, double>, py::arg("G"))
      .def("update", &update_rows<NystromSketch, float>, py::arg("G"))
      .def("merge", &NystromSketch::merge, py::arg("other"), py::call_guard<py::gil_scoped_release>())
      .def_property_readonly("dim", &NystromSketch::dim)
      .def_property_readonly("sketch_size", &NystromSketch::sketch_size)
      .def_property_readonly("seed", &NystromSketch::seed)
      .def_property_readonly("count", &NystromSketch::count)
      .def("eigenpairs", [](const NystromSketch& sketch, Index k) {
        Vector<double> values;
        Matrix<double> vectors;
        {
          py::gil_scoped_release release;
          sketch.eigenpairs(k, values, vectors);
        }
        return py::make_tuple(py::cast(std::move(values)), py::cast(std::move(vectors)));
      }, py::arg("k"))
      .def("save", &NystromSketch::save, py::arg("path"), py::call_guard<py::gil_scoped_release>())
      .def_static("load", &NystromSketch::load, py::arg("path"), py::call_guard<py::gil_scoped_release>())
      .def("state_buffer", &state_buffer<NystromSketch, &NystromSketch::mutable_sketch>)
      .def("set_count", &NystromSketch::set_count, py::arg("count"));

  m.def("randomized_svd", &randomized_svd_binding<double>, py::arg("A"), py::arg("k"),
        py::arg("n_oversamples"), py::arg("n_power_iter"), py::arg("seed"));
  m.def("randomized_svd", &randomized_svd_binding<float>, py::arg("A"), py::arg("k"),
        py::arg("n_oversamples"), py::arg("n_power_iter"), py::arg("seed"));
  m.def("eigh_top", &eigh_top_binding<double>, py::arg("C"), py::arg("k"),
        py::arg("n_oversamples"), py::arg("n_power_iter"), py::arg("seed"));
  m.def("eigh_top", &eigh_top_binding<float>, py::arg("C"), py::arg("k"),
        py::arg("n_oversamples"), py::arg("n_power_iter"), py::arg("seed"));
  m.def("symmetric_eigenvalues", &symmetric_eigenvalues_binding<double>, py::arg("C"));
  m.def("symmetric_eigenvalues", &symmetric_eigenvalues_binding<float>, py::arg("C"));
  m.def("first_nonfinite_row", &first_nonfinite_row_binding<double>, py::arg("array"));
  m.def("first_nonfinite_row", &first_nonfinite_row_binding<float>, py::arg("array"));
  m.def("relative_asymmetry", &relative_asymmetry_binding<double>, py::arg("C"));
  m.def("relative_asymmetry", &relative_asymmetry_binding<float>, py::arg("C"));
  m.def("exact_knn", &exact_knn_binding<double>, py::arg("X"), py::arg("k"));
  m.def("exact_knn", &exact_knn_binding<float>, py::arg("X"), py::arg("k"));
  m.def("force_layout", &force_layout_binding, py::arg("indptr"), py::arg("indices"), py::arg("weights"),
        py::arg("positions"), py::arg("n_iter"), py::arg("theta"), py::arg("gravity"), py::arg("seed"));
  m.def("set_blas_threads", &set_blas_threads, py::arg("n"));
  m.def("core_threads", &core_threads);
  m.def("set_core_threads", &set_core_threads, py::arg("n"));
}
