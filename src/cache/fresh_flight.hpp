#pragma once
// Coalesces concurrent calls that share a key, without ever answering a caller with a call that
// started before it arrived: a caller joins only a call that has not started yet. While a call
// for the key runs, the first newcomer queues the next call and the others join that one; it
// starts once the running call ends. So at most two calls per key exist (one running, one
// waiting to start), and every answer reflects a read begun after its caller arrived, which is
// what a search answered from the database needs to stay fresh. Thread-safe.
#include <condition_variable>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace rihla::cache {

template <class T>
class FreshFlight {
 public:
  // Returns fn()'s value from a call that started after this caller arrived. `joined` is set
  // when another caller ran it.
  T Do(const std::string& key, const std::function<T()>& fn, bool& joined) {
    std::unique_lock lock(mu_);
    Slot& slot = slots_[key];
    if (slot.next) {
      joined = true;
      std::shared_ptr<Call> call = slot.next;
      call->cv.wait(lock, [&] { return call->done; });
      if (call->error) std::rethrow_exception(call->error);
      return *call->value;
    }
    joined = false;
    auto call = std::make_shared<Call>();
    if (slot.running) {
      slot.next = call;
      std::shared_ptr<Call> running = slot.running;
      running->cv.wait(lock, [&] { return running->done; });
      Slot& now = slots_[key];  // Finish left the slot in place: `next` was set
      now.next = nullptr;
      now.running = call;
    } else {
      slot.running = call;
    }
    lock.unlock();
    try {
      T value = fn();
      Finish(key, *call, value, nullptr);
      return value;
    } catch (...) {
      Finish(key, *call, std::nullopt, std::current_exception());
      throw;
    }
  }

 private:
  struct Call {
    std::condition_variable cv;
    bool done = false;
    std::optional<T> value;
    std::exception_ptr error;
  };
  struct Slot {
    std::shared_ptr<Call> running;
    std::shared_ptr<Call> next;  // joinable: not started yet
  };

  void Finish(const std::string& key, Call& call, std::optional<T> value, std::exception_ptr error) {
    {
      std::lock_guard lock(mu_);
      auto it = slots_.find(key);
      if (it != slots_.end()) {
        it->second.running = nullptr;
        if (!it->second.next) slots_.erase(it);
      }
      call.done = true;
      call.value = std::move(value);
      call.error = error;
    }
    call.cv.notify_all();
  }

  std::mutex mu_;
  std::unordered_map<std::string, Slot> slots_;  // guarded by mu_
};

}  // namespace rihla::cache
