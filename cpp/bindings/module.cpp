// pybind11 module netscope._core (private: the netscope package is its public face). What Python
// sees, one registration function per concept.
#include "pybind.hpp"

PYBIND11_MODULE(_core, m) {
  m.doc() = "netscope's C++ core (private: use the netscope package)";
  netscope_bindings::bind_gram(m);
  netscope_bindings::bind_sketch(m);
  netscope_bindings::bind_decompositions(m);
  netscope_bindings::bind_checks(m);
  netscope_bindings::bind_graph(m);
  netscope_bindings::bind_threads(m);
}
