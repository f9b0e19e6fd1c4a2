// NystromSketch: the streaming O(dim s) sketch of the same matrix.
#include "pybind.hpp"

#include <netscope/sketch.hpp>

namespace netscope_bindings {

using netscope::NystromSketch;

void bind_sketch(py::module_& m) {
  py::class_<NystromSketch>(m, "NystromSketch")
      .def(py::init<Index, Index, std::uint64_t>(), py::arg("dim"), py::arg("sketch_size"), py::arg("seed"))
      .def("update", &update_rows<NystromSketch, double>, py::arg("G"))
      .def("update", &update_rows<NystromSketch, float>, py::arg("G"))
      .def("merge", &NystromSketch::merge, py::arg("other"), py::call_guard<py::gil_scoped_release>())
      .def_property_readonly("dim", &NystromSketch::dim)
      .def_property_readonly("sketch_size", &NystromSketch::sketch_size)
      .def_property_readonly("seed", &NystromSketch::seed)
      .def_property_readonly("count", &NystromSketch::count)
      .def(
          "eigenpairs",
          [](const NystromSketch& sketch, Index k) {
            netscope::Vector<double> values;
            netscope::Matrix<double> vectors;
            {
              py::gil_scoped_release release;
              sketch.eigenpairs(k, values, vectors);
            }
            return py::make_tuple(py::cast(std::move(values)), py::cast(std::move(vectors)));
          },
          py::arg("k"))
      .def("save", &NystromSketch::save, py::arg("path"), py::call_guard<py::gil_scoped_release>())
      .def_static("load", &NystromSketch::load, py::arg("path"), py::call_guard<py::gil_scoped_release>())
      .def("state", &state_copy<NystromSketch, &NystromSketch::sketch>)
      .def("replace_state", &replace_state<NystromSketch>, py::arg("values"), py::arg("count"));
}

}  // namespace netscope_bindings
