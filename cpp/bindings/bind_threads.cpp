// Threads of the core's own loops and of its BLAS.
#include "pybind.hpp"

#include <netscope/parallel.hpp>

namespace netscope_bindings {

void bind_threads(py::module_& m) {
  m.def("set_blas_threads", &netscope::set_blas_threads, py::arg("n"));
  m.def("core_threads", &netscope::core_threads);
  m.def("set_core_threads", &netscope::set_core_threads, py::arg("n"));
}

}  // namespace netscope_bindings
