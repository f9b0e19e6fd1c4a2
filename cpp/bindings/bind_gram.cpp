// GramAccumulator: the streaming sum of gradient outer products.
#include "pybind.hpp"

#include <netscope/gram.hpp>

namespace netscope_bindings {

using netscope::GramAccumulator;
using netscope::GramPrecision;

void bind_gram(py::module_& m) {
  py::enum_<GramPrecision>(m, "GramPrecision")
      .value("float64", GramPrecision::Float64)
      .value("mixed", GramPrecision::Mixed);

  py::class_<GramAccumulator>(m, "GramAccumulator")
      .def(py::init<Index, GramPrecision>(), py::arg("dim"), py::arg("precision"))
      .def("update", &update_rows<GramAccumulator, double>, py::arg("G"))
      .def("update", &update_rows<GramAccumulator, float>, py::arg("G"))
      .def("merge", &GramAccumulator::merge, py::arg("other"), py::call_guard<py::gil_scoped_release>())
      .def_property_readonly("dim", &GramAccumulator::dim)
      .def_property_readonly("count", &GramAccumulator::count)
      .def_property_readonly("precision", &GramAccumulator::precision)
      .def("mean",
           [](const GramAccumulator& gram) {
             netscope::Matrix<double> full;
             {
               py::gil_scoped_release release;
               full = gram.mean();
             }
             return py::cast(std::move(full));
           })
      .def("save", &GramAccumulator::save, py::arg("path"), py::call_guard<py::gil_scoped_release>())
      .def_static("load", &GramAccumulator::load, py::arg("path"), py::call_guard<py::gil_scoped_release>())
      .def("state", &state_copy<GramAccumulator, double, &GramAccumulator::lower_sum>)
      .def("replace_state", &replace_state<GramAccumulator, double>, py::arg("values"), py::arg("count"));
}

}  // namespace netscope_bindings
