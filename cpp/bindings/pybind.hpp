// The one include point of netscope._core's binding files: pybind11, the array type every binding
// takes, the checks they share, and the registration function of each concept (module.cpp calls
// them in order). Arrays arrive C-contiguous in their own dtype (the Python layer converts, so
// nothing is copied here) and results leave as numpy arrays that own the Eigen buffers they were
// computed in. Every heavy call releases the GIL: the core touches no Python object, and the
// argument arrays stay referenced by the caller's frame.
#pragma once

#include <netscope/linalg.hpp>

#include <pybind11/eigen.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>

namespace netscope_bindings {

namespace py = pybind11;
using netscope::Index;

template <class T>
using CArray = py::array_t<T, py::array::c_style>;

// The core reads raw buffers: a wrong rank would read out of bounds, so it is refused here.
template <class T>
void require_matrix(const CArray<T>& array, const char* name) {
  if (array.ndim() != 2) {
    throw std::invalid_argument(std::string(name) + " must be 2-D, got " + std::to_string(array.ndim()) + "-D");
  }
}

template <class T>
void require_square(const CArray<T>& array, const char* name) {
  require_matrix(array, name);
  if (array.shape(0) != array.shape(1)) throw std::invalid_argument(std::string(name) + " must be square");
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

// An accumulator's state as a new flat array of its storage type (a copy: the core keeps its own
// buffer), and its replacement by the totals of a reduction, values and count in one step.
template <class Accumulator, class Scalar, const netscope::Matrix<Scalar>& (Accumulator::*State)() const>
py::array_t<Scalar> state_copy(const Accumulator& accumulator) {
  const netscope::Matrix<Scalar>& state = (accumulator.*State)();
  py::array_t<Scalar> copy(static_cast<py::ssize_t>(state.size()));
  std::copy(state.data(), state.data() + state.size(), copy.mutable_data());
  return copy;
}

template <class Accumulator, class Scalar>
void replace_state(Accumulator& accumulator, const CArray<Scalar>& values, std::int64_t count) {
  const Scalar* data = values.data();
  const Index size = values.size();
  py::gil_scoped_release release;
  accumulator.replace_state(data, size, count);
}

void bind_gram(py::module_& m);
void bind_sketch(py::module_& m);
void bind_decompositions(py::module_& m);
void bind_checks(py::module_& m);
void bind_graph(py::module_& m);
void bind_threads(py::module_& m);

}  // namespace netscope_bindings
