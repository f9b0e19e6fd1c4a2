#include <netscope/parallel.hpp>

#include <stdexcept>

namespace netscope {
namespace {

int hardware_threads() {
  const unsigned count = std::thread::hardware_concurrency();
  return count == 0 ? 1 : static_cast<int>(count);
}

std::atomic<int> configured_threads{hardware_threads()};

}  // namespace

int core_threads() { return configured_threads.load(); }

bool& inside_parallel_for() {
  thread_local bool inside = false;
  return inside;
}

void set_core_threads(int n) {
  if (n < 1) throw std::invalid_argument("the number of threads must be >= 1");
  configured_threads.store(n);
}

}  // namespace netscope
