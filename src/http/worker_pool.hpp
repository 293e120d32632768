#pragma once
// A fixed set of threads for blocking work (database calls), fed by a bounded queue.
// The I/O threads never block: they hand a request to this pool and resume when it is done.
// When the queue is full, TrySubmit refuses and the caller answers 503 (load shedding instead
// of an unbounded backlog).
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace rihla::http {

class WorkerPool {
 public:
  struct Task {
    virtual ~Task() = default;
    virtual void Run() = 0;
  };
  template <class F>
  static std::unique_ptr<Task> MakeTask(F f) {
    struct Impl : Task {
      explicit Impl(F fn) : fn(std::move(fn)) {}
      void Run() override { fn(); }
      F fn;
    };
    return std::make_unique<Impl>(std::move(f));
  }

  WorkerPool(std::size_t threads, std::size_t max_queue);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues `task` and takes it, or leaves it with the caller and returns false when
  // max_queue tasks are already waiting or the pool is stopping.
  bool TrySubmit(std::unique_ptr<Task>& task);
  // Runs what is queued, then joins the threads. Idempotent.
  void Stop();

  std::size_t busy() const;
  std::size_t queued() const;

 private:
  void Loop();

  const std::size_t max_queue_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::unique_ptr<Task>> queue_;  // guarded by mu_
  std::size_t busy_ = 0;                      // guarded by mu_
  bool stop_ = false;                         // guarded by mu_
  std::vector<std::thread> threads_;
};

}  // namespace rihla::http
