#pragma once
// Coalesces concurrent calls that share a key into one execution: the first caller runs the
// function, the others wait for its result (or its exception). Keys are forgotten as soon as
// the call ends, so a later caller runs the function again. Thread-safe.
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
class SingleFlight {
 public:
  // Returns fn()'s value. `joined` is set when this caller waited for another caller's call.
  T Do(const std::string& key, const std::function<T()>& fn, bool& joined) {
    std::shared_ptr<Call> call;
    {
      std::unique_lock lock(mu_);
      auto it = calls_.find(key);
      if (it != calls_.end()) {
        joined = true;
        call = it->second;
        ++call->waiters;
        call->cv.wait(lock, [&] { return call->done; });
        if (call->error) std::rethrow_exception(call->error);
        return *call->value;
      }
      joined = false;
      call = std::make_shared<Call>();
      calls_.emplace(key, call);
    }
    try {
      T value = fn();
      Finish(key, *call, value, nullptr);
      return value;
    } catch (...) {
      Finish(key, *call, std::nullopt, std::current_exception());
      throw;
    }
  }

  // How many callers joined the call now running for `key` (0 when none runs). Lets a test
  // release a load only once every caller is waiting for it.
  std::size_t Waiters(const std::string& key) const {
    std::lock_guard lock(mu_);
    auto it = calls_.find(key);
    return it == calls_.end() ? 0 : it->second->waiters;
  }

 private:
  struct Call {
    std::condition_variable cv;
    std::size_t waiters = 0;
    bool done = false;
    std::optional<T> value;
    std::exception_ptr error;
  };

  void Finish(const std::string& key, Call& call, std::optional<T> value, std::exception_ptr error) {
    {
      std::lock_guard lock(mu_);
      calls_.erase(key);
      call.done = true;
      call.value = std::move(value);
      call.error = error;
    }
    call.cv.notify_all();
  }

  mutable std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<Call>> calls_;  // guarded by mu_
};

}  // namespace rihla::cache
