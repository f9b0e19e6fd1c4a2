// Randomized block Krylov decompositions and the dense symmetric eigenvalues.
#include "pybind.hpp"

#include <netscope/rsvd.hpp>

namespace netscope_bindings {

namespace {

using netscope::KrylovOptions;
using netscope::Matrix;
using netscope::Vector;

template <class T>
py::tuple randomized_svd_binding(const CArray<T>& a, Index k, Index oversamples, Index depth, std::uint64_t seed) {
  require_matrix(a, "A");
  netscope::SvdResult<T> result;
  {
    py::gil_scoped_release release;
    result = netscope::randomized_svd(a.data(), a.shape(0), a.shape(1), k, KrylovOptions{oversamples, depth, seed});
  }
  return py::make_tuple(py::cast(std::move(result.u)), py::cast(std::move(result.s)), py::cast(std::move(result.vt)));
}

template <class T>
py::tuple eigh_top_binding(const CArray<T>& c, Index k, Index oversamples, Index depth, std::uint64_t seed) {
  require_square(c, "C");
  netscope::EigenResult<T> result;
  {
    py::gil_scoped_release release;
    result = netscope::eigh_top(c.data(), c.shape(0), k, KrylovOptions{oversamples, depth, seed});
  }
  return py::make_tuple(py::cast(std::move(result.values)), py::cast(std::move(result.vectors)));
}

template <class T>
Vector<T> symmetric_eigenvalues_binding(const CArray<T>& c) {
  require_square(c, "C");
  py::gil_scoped_release release;
  Matrix<T> copy = Eigen::Map<const Matrix<T>>(c.data(), c.shape(0), c.shape(1));
  return netscope::symmetric_eigenvalues(copy);
}

template <class T>
void bind_for(py::module_& m) {
  m.def("randomized_svd", &randomized_svd_binding<T>, py::arg("A"), py::arg("k"), py::arg("n_oversamples"),
        py::arg("n_power_iter"), py::arg("seed"));
  m.def("eigh_top", &eigh_top_binding<T>, py::arg("C"), py::arg("k"), py::arg("n_oversamples"),
        py::arg("n_power_iter"), py::arg("seed"));
  m.def("symmetric_eigenvalues", &symmetric_eigenvalues_binding<T>, py::arg("C"));
}

}  // namespace

void bind_decompositions(py::module_& m) {
  bind_for<double>(m);
  bind_for<float>(m);
}

}  // namespace netscope_bindings
