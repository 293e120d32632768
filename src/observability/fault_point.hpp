#pragma once
// Test-only fault points. They act only in builds with RIHLA_FAULT_POINTS (scripts/test.sh);
// in release builds RIHLA_FAULT is rejected at start-up, TriggerFault() does nothing and
// FaultActive() is false. Selected per process with RIHLA_FAULT (app/config.cpp) and handed to
// the components that act on it through their constructors or options.
#include <chrono>
#include <csignal>
#include <thread>

namespace rihla {

enum class FaultPoint {
  kNone,
  kBeforeCommit,    // SIGKILL just before an idempotent operation commits
  kAfterCommit,     // SIGKILL just after it committed, before the response
  kSlowOperation,   // hold a claimed idempotent request 1.5 s before it executes
  kPauseFill,       // hold every search-cache fill 800 ms after its database read
  kPauseBeforeHold, // hold every booking 800 ms inside its transaction, before it takes the seats
  kCommitThen503,   // an idempotent operation commits, then answers 503 as if its reply was lost
  // Each of these breaks one promise on purpose, for rihla-check to catch (docs/checking.md):
  kSkipInvalidation,      // route writes do not invalidate the search cache (fresh_search)
  kDoubleRelease,         // a cancel gives its seats back twice (no_oversell)
  kSkipIdempotencyClaim,  // bookings run without claiming their key (exactly_once)
  kMixCorrelation,        // access lines carry the previous request's id (correlation)
};

// True when `configured` is `here` in a build with fault points; always false otherwise. For
// faults the caller acts out itself: kCommitThen503 and the promise breakers below.
inline bool FaultActive(FaultPoint configured, FaultPoint here) {
#ifdef RIHLA_FAULT_POINTS
  return configured == here && here != FaultPoint::kNone;
#else
  (void)configured;
  (void)here;
  return false;
#endif
}

// Acts when `configured` is `here`: kills the process or sleeps as described above; the
// faults acted out through FaultActive do nothing here.
inline void TriggerFault(FaultPoint configured, FaultPoint here) {
#ifdef RIHLA_FAULT_POINTS
  if (configured != here || here == FaultPoint::kNone) return;
  switch (here) {
    case FaultPoint::kSlowOperation: std::this_thread::sleep_for(std::chrono::milliseconds(1500)); return;
    case FaultPoint::kPauseFill:
    case FaultPoint::kPauseBeforeHold: std::this_thread::sleep_for(std::chrono::milliseconds(800)); return;
    case FaultPoint::kBeforeCommit:
    case FaultPoint::kAfterCommit: std::raise(SIGKILL); return;
    default: return;  // acted out through FaultActive where they apply
  }
#else
  (void)configured;
  (void)here;
#endif
}

}  // namespace rihla
