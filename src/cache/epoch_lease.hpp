#pragma once
// The cache epoch lease (contract v1.1, "Cache freshness promise"): how a shared-cache write
// whose invalidation Redis did not confirm still answers only once no instance can serve an
// entry from before it.
//
// The epoch is a counter in the database (table cache_epoch), read by every instance that uses
// the shared cache every `refresh` and held as a lease of `lease`, measured from the moment the
// read *started*. Shared entries are stamped with the epoch their fill ran under and are served
// only while the lease is fresh and the stamp equals the epoch it holds. A writer whose
// generation bump Redis did not confirm calls BumpAndWaitOut: it increments the epoch in the
// database, then waits `lease`. Any instance that read the old epoch started that read before
// the bump committed, so its lease has run out by the time the writer answers; every later read
// sees the new epoch, under which no entry from before the write exists.
//
// Thread-safe. Owns one refresh thread.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

namespace rihla::cache {

struct EpochLeaseOptions {
  std::chrono::milliseconds refresh{250};
  std::chrono::milliseconds lease{1000};
};

class EpochLease {
 public:
  // Reads the current epoch (throws when the database cannot be read).
  using ReadEpoch = std::function<std::int64_t()>;
  // Increments the epoch and returns the new value (throws when the database cannot be written).
  using BumpEpoch = std::function<std::int64_t()>;

  // Starts the refresh thread after a first read (a failed first read leaves the lease stale
  // until a refresh succeeds). Throws std::invalid_argument unless 0 < refresh < lease.
  EpochLease(ReadEpoch read, BumpEpoch bump, EpochLeaseOptions options = {});
  ~EpochLease();
  EpochLease(const EpochLease&) = delete;
  EpochLease& operator=(const EpochLease&) = delete;

  // The epoch held, or nullopt when the lease is not fresh (the database could not be read
  // within the lease): then no shared entry may be served.
  std::optional<std::int64_t> Current() const;
  // Bumps the epoch, then blocks for the lease, so that when it returns no instance can still
  // hold an older epoch. Takes lease + one database write. If the bump fails (the database is
  // unreachable too) it still waits out the lease: an instance that cannot read the epoch stops
  // serving shared entries when its lease ends. Never throws.
  void BumpAndWaitOut();
  // Bumps the epoch without waiting: other instances stop serving older entries within the
  // lease. For writes no client waits on (booking expiry). Never throws.
  void Bump();

  const EpochLeaseOptions& options() const { return options_; }

 private:
  using Clock = std::chrono::steady_clock;
  void Refresh();
  void Loop();

  const ReadEpoch read_;
  const BumpEpoch bump_;
  const EpochLeaseOptions options_;
  // Adopts `epoch`, read by a read that started at `read_start`, unless a later read won.
  void Adopt(std::int64_t epoch, Clock::time_point read_start);

  mutable std::mutex state_mu_;
  std::int64_t epoch_ = 0;                 // guarded by state_mu_
  Clock::time_point read_start_{};         // guarded by state_mu_: start of the read that gave epoch_
  bool held_ = false;                      // guarded by state_mu_: some read has succeeded

  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace rihla::cache
