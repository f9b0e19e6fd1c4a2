// NystromSketch and NystromSketch32: the streaming O(dim s) sketch of the same matrix, stored in
// float64 or float32.
#include "pybind.hpp"

#include <netscope/sketch.hpp>

namespace netscope_bindings {

namespace {

template <class Scalar>
void bind_sketch_of(py::module_& m, const char* name) {
  using Sketch = netscope::BasicNystromSketch<Scalar>;
  py::class_<Sketch>(m, name)
      .def(py::init<Index, Index, std::uint64_t>(), py::arg("dim"), py::arg("sketch_size"), py::arg("seed"))
      .def("update", &update_rows<Sketch, double>, py::arg("G"))
      .def("update", &update_rows<Sketch, float>, py::arg("G"))
      .def("merge", &Sketch::merge, py::arg("other"), py::call_guard<py::gil_scoped_release>())
      .def_property_readonly("dim", &Sketch::dim)
      .def_property_readonly("sketch_size", &Sketch::sketch_size)
      .def_property_readonly("seed", &Sketch::seed)
      .def_property_readonly("count", &Sketch::count)
      .def(
          "eigenpairs",
          [](const Sketch& sketch, Index k) {
            netscope::Vector<double> values;
            netscope::Matrix<Scalar> vectors;
            {
              py::gil_scoped_release release;
              sketch.eigenpairs(k, values, vectors);
            }
            return py::make_tuple(py::cast(std::move(values)), py::cast(std::move(vectors)));
          },
          py::arg("k"))
      .def("save", &Sketch::save, py::arg("path"), py::call_guard<py::gil_scoped_release>())
      .def_static("load", &Sketch::load, py::arg("path"), py::call_guard<py::gil_scoped_release>())
      .def("state", &state_copy<Sketch, Scalar, &Sketch::sketch>)
      .def("replace_state", &replace_state<Sketch, Scalar>, py::arg("values"), py::arg("count"));
}

}  // namespace

void bind_sketch(py::module_& m) {
  bind_sketch_of<double>(m, "NystromSketch");
  bind_sketch_of<float>(m, "NystromSketch32");
}

}  // namespace netscope_bindings
