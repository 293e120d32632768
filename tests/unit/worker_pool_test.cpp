// WorkerPool: bounded queue, load shedding, drain on Stop. Synchronisation by latches, never sleeps.
#include "http/worker_pool.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <latch>
#include <set>
#include <thread>

namespace rihla::http {
namespace {

using namespace std::chrono_literals;

// Polls `done` until it holds or the deadline passes; returns whether it held.
template <class F>
bool WaitFor(F done, std::chrono::milliseconds limit = 5s) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::yield();
  }
  return true;
}

TEST(WorkerPool, RunsSubmittedTasksOnItsOwnThreads) {
  WorkerPool pool(2, 16);
  std::latch ran(8);
  std::mutex mu;
  std::set<std::thread::id> ids;
  for (int i = 0; i < 8; ++i) {
    auto task = WorkerPool::MakeTask([&] {
      {
        std::lock_guard lock(mu);
        ids.insert(std::this_thread::get_id());
      }
      ran.count_down();
    });
    ASSERT_TRUE(pool.TrySubmit(task));
    EXPECT_EQ(task, nullptr) << "an accepted task is taken from the caller";
  }
  ran.wait();
  EXPECT_EQ(ids.count(std::this_thread::get_id()), 0u);
  EXPECT_LE(ids.size(), 2u);
}

TEST(WorkerPool, RefusesWhenTheQueueIsFullAndLeavesTheTaskWithTheCaller) {
  WorkerPool pool(1, 2);
  std::latch started(1), release(1);
  auto blocker = WorkerPool::MakeTask([&] {
    started.count_down();
    release.wait();
  });
  ASSERT_TRUE(pool.TrySubmit(blocker));
  started.wait();  // the only worker is busy: what follows waits in the queue
  EXPECT_EQ(pool.busy(), 1u);

  std::atomic<int> ran{0};
  for (int i = 0; i < 2; ++i) {
    auto queued = WorkerPool::MakeTask([&] { ++ran; });
    ASSERT_TRUE(pool.TrySubmit(queued));
  }
  EXPECT_EQ(pool.queued(), 2u);

  bool shed_ran = false;
  auto shed = WorkerPool::MakeTask([&] { shed_ran = true; });
  EXPECT_FALSE(pool.TrySubmit(shed));
  ASSERT_NE(shed, nullptr) << "a refused task stays with the caller, who answers 503";
  shed->Run();  // the caller may still run it itself
  EXPECT_TRUE(shed_ran);

  release.count_down();
  EXPECT_TRUE(WaitFor([&] { return ran.load() == 2 && pool.busy() == 0 && pool.queued() == 0; }));
}

TEST(WorkerPool, StopRunsWhatIsQueuedThenRefusesNewWork) {
  WorkerPool pool(1, 8);
  std::latch started(1), release(1);
  auto blocker = WorkerPool::MakeTask([&] {
    started.count_down();
    release.wait();
  });
  ASSERT_TRUE(pool.TrySubmit(blocker));
  started.wait();
  std::atomic<int> ran{0};
  for (int i = 0; i < 3; ++i) {
    auto t = WorkerPool::MakeTask([&] { ++ran; });
    ASSERT_TRUE(pool.TrySubmit(t));
  }
  std::thread stopper([&] { pool.Stop(); });
  release.count_down();
  stopper.join();
  EXPECT_EQ(ran.load(), 3) << "Stop drains the queue before joining";

  auto late = WorkerPool::MakeTask([] {});
  EXPECT_FALSE(pool.TrySubmit(late));
  EXPECT_NE(late, nullptr);
  pool.Stop();  // idempotent
}

}  // namespace
}  // namespace rihla::http
