// The input checks the Python layer runs in C++ (both cores, no copies): finiteness, symmetry.
#include "pybind.hpp"

#include <netscope/rsvd.hpp>

namespace netscope_bindings {

namespace {

template <class T>
Index first_nonfinite_row_binding(const CArray<T>& a) {
  require_matrix(a, "array");
  py::gil_scoped_release release;
  return netscope::first_nonfinite_row(a.data(), a.shape(0), a.shape(1));
}

template <class T>
double relative_asymmetry_binding(const CArray<T>& c) {
  require_square(c, "C");
  py::gil_scoped_release release;
  return netscope::relative_asymmetry(c.data(), c.shape(0));
}

template <class T>
void bind_for(py::module_& m) {
  m.def("first_nonfinite_row", &first_nonfinite_row_binding<T>, py::arg("array"));
  m.def("relative_asymmetry", &relative_asymmetry_binding<T>, py::arg("C"));
}

}  // namespace

void bind_checks(py::module_& m) {
  bind_for<double>(m);
  bind_for<float>(m);
}

}  // namespace netscope_bindings
