#include "check.hpp"

#include <netscope/gram.hpp>

#include <cstdio>
#include <fstream>
#include <limits>
#include <string>

using namespace netscope;

using RowMajor = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using RowMajorF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

static Matrix<double> reference_mean(const RowMajor& rows) {
  return rows.transpose() * rows / static_cast<double>(rows.rows());
}

static void test_matches_reference_in_chunks() {
  const RowMajor rows = RowMajor::Random(301, 37);
  GramAccumulator whole(37), chunked(37);
  whole.update(rows.data(), rows.rows());
  for (Index start = 0; start < 301; start += 17) {
    const Index n = std::min<Index>(17, 301 - start);
    chunked.update(rows.data() + start * 37, n);
  }
  const Matrix<double> expected = reference_mean(rows);
  CHECK(whole.count() == 301 && chunked.count() == 301);
  CHECK((whole.mean() - expected).norm() < 1e-12 * expected.norm());
  CHECK((chunked.mean() - expected).norm() < 1e-12 * expected.norm());
  CHECK(whole.mean().isApprox(whole.mean().transpose(), 0.0));
}

static void test_float32_and_mixed() {
  // 1100 rows: more than one widening block of 512.
  const RowMajorF rows = RowMajorF::Random(1100, 64);
  const Matrix<double> expected = reference_mean(rows.cast<double>());
  GramAccumulator exact(64), mixed(64, GramPrecision::Mixed);
  exact.update(rows.data(), rows.rows());
  mixed.update(rows.data(), 600);
  mixed.update(rows.data() + 600 * 64, 500);
  CHECK((exact.mean() - expected).norm() < 1e-12 * expected.norm());
  // float32 products over 600 terms: relative error of order sqrt(600) * 6e-8.
  CHECK((mixed.mean() - expected).norm() < 1e-5 * expected.norm());
}

static void test_merge() {
  const RowMajor rows = RowMajor::Random(80, 12);
  GramAccumulator first(12), second(12), whole(12);
  first.update(rows.data(), 30);
  second.update(rows.data() + 30 * 12, 50);
  whole.update(rows.data(), 80);
  first.merge(second);
  CHECK(first.count() == 80);
  CHECK((first.mean() - whole.mean()).norm() < 1e-13 * whole.mean().norm());
  GramAccumulator other_dim(13);
  CHECK_THROWS(first.merge(other_dim));
}

static void test_rejects_nonfinite_rows_unchanged() {
  RowMajor rows = RowMajor::Random(10, 5);
  GramAccumulator gram(5);
  gram.update(rows.data(), 4);
  const Matrix<double> before = gram.lower_sum();
  rows(8, 2) = std::numeric_limits<double>::quiet_NaN();
  CHECK_THROWS(gram.update(rows.data(), 10));
  CHECK(gram.count() == 4);
  CHECK(gram.lower_sum() == before);
  CHECK_THROWS(GramAccumulator(0));
}

static void test_save_load_round_trip() {
  const RowMajor rows = RowMajor::Random(50, 20);
  GramAccumulator gram(20);
  gram.update(rows.data(), 50);
  const std::string path = "test_gram_state.bin";
  gram.save(path);
  const GramAccumulator loaded = GramAccumulator::load(path);
  CHECK(loaded.count() == 50 && loaded.dim() == 20);
  CHECK(loaded.lower_sum().triangularView<Eigen::Lower>().toDenseMatrix() ==
        gram.lower_sum().triangularView<Eigen::Lower>().toDenseMatrix());

  // Flip one byte of the payload: the checksum must catch it.
  {
    std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(100);
    file.put('\x7f');
  }
  CHECK_THROWS(GramAccumulator::load(path));
  {
    std::ofstream foreign(path, std::ios::binary | std::ios::trunc);
    foreign << "definitely not a netscope accumulator file";
  }
  CHECK_THROWS(GramAccumulator::load(path));
  std::remove(path.c_str());
  CHECK_THROWS(GramAccumulator::load(path));
}

static void test_replace_state_sets_sum_and_count_together() {
  const RowMajor rows = RowMajor::Random(40, 6);
  GramAccumulator source(6), target(6);
  source.update(rows.data(), 40);
  target.update(rows.data(), 3);
  target.replace_state(source.lower_sum().data(), source.lower_sum().size(), source.count());
  CHECK(target.count() == 40 && (target.mean() - source.mean()).cwiseAbs().maxCoeff() == 0.0);
  Matrix<double> bad = source.lower_sum();
  bad(2, 1) = std::numeric_limits<double>::quiet_NaN();
  CHECK_THROWS(target.replace_state(bad.data(), bad.size(), 50));
  CHECK_THROWS(target.replace_state(bad.data(), bad.size() - 1, 50));
  CHECK_THROWS(target.replace_state(source.lower_sum().data(), source.lower_sum().size(), -1));
  CHECK(target.count() == 40 && (target.mean() - source.mean()).cwiseAbs().maxCoeff() == 0.0);  // unchanged
}

int main() {
  test_matches_reference_in_chunks();
  test_float32_and_mixed();
  test_merge();
  test_rejects_nonfinite_rows_unchanged();
  test_save_load_round_trip();
  test_replace_state_sets_sum_and_count_together();
  return check::finish();
}
