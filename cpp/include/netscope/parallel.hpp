// The core's own parallel loops: std::thread workers that live for one call and then exit. No
// OpenMP on purpose: an OpenMP runtime keeps its workers spinning after a parallel region, and
// with torch's libgomp in the process they were measured stealing a core from OpenBLAS for the
// rest of the call (randomized_svd 1.5 s -> 2.4 s, bench/bench_rsvd.py).
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace netscope {

// Number of threads the core's loops use: the hardware's, unless set_core_threads changed it.
int core_threads();
void set_core_threads(int n);

// Whether the calling thread is already inside a parallel_for: a nested loop then runs serially,
// so that the threads never outnumber core_threads().
bool& inside_parallel_for();

// Calls body(first, last) on disjoint chunks [first, last) of [begin, end), at most `grain`
// indices each, handed out to core_threads() threads as they finish (so uneven chunks, e.g. the
// columns of a triangle, balance). The first exception a chunk throws is rethrown here. Called
// from inside another parallel_for, it runs body(begin, end) on the calling thread.
template <class Body>
void parallel_for(std::ptrdiff_t begin, std::ptrdiff_t end, std::ptrdiff_t grain, Body&& body) {
  if (end <= begin) return;
  grain = std::max<std::ptrdiff_t>(grain, 1);
  const std::ptrdiff_t chunks = (end - begin + grain - 1) / grain;
  const std::ptrdiff_t threads = std::min<std::ptrdiff_t>(core_threads(), chunks);
  if (threads <= 1 || inside_parallel_for()) {
    body(begin, end);
    return;
  }
  std::atomic<std::ptrdiff_t> next_chunk{0};
  std::exception_ptr failure;
  std::mutex failure_mutex;
  auto work = [&] {
    inside_parallel_for() = true;
    for (std::ptrdiff_t chunk = next_chunk++; chunk < chunks; chunk = next_chunk++) {
      const std::ptrdiff_t first = begin + chunk * grain;
      try {
        body(first, std::min(end, first + grain));
      } catch (...) {
        std::lock_guard<std::mutex> lock(failure_mutex);
        if (!failure) failure = std::current_exception();
      }
    }
    inside_parallel_for() = false;
  };
  std::vector<std::thread> workers;
  workers.reserve(static_cast<std::size_t>(threads - 1));
  for (std::ptrdiff_t t = 1; t < threads; ++t) workers.emplace_back(work);
  work();
  for (std::thread& worker : workers) worker.join();
  if (failure) std::rethrow_exception(failure);
}

}  // namespace netscope
