#pragma once
// One `rihla-check run`: sets up users and flights through the public API, drives the mixed
// workload for the given duration with faults at their offsets, checks the invariants, cleans
// up, and writes the outputs. Single-threaded on one io_context; fault commands run on their
// own threads.
#include <cstdint>
#include <string>
#include <vector>

namespace rihla::check {

struct FaultSpec {
  double at = 0;  // seconds after the start of the load
  std::string command;
};
// Parses "at=20s cmd=..." (at in ms, s or m; a bare number is seconds). Everything after "cmd="
// is the command. Throws std::invalid_argument.
FaultSpec ParseFault(const std::string& text);

struct RunOptions {
  std::vector<std::string> targets;
  std::string admin_token;
  std::string webhook_secret;
  double duration_s = 60;
  int concurrency = 64;
  std::uint64_t seed = 0;
  std::vector<std::string> logs;
  std::vector<FaultSpec> faults;
  std::string report_path;
  std::string html_path;
  bool progress_tty = false;
};

inline constexpr int kExitPass = 0;
inline constexpr int kExitViolations = 1;
inline constexpr int kExitUsage = 2;

// Returns kExitPass, kExitViolations, or kExitUsage when a target is unreachable at start or
// the admin API refuses the token.
int RunCheck(const RunOptions& options);

}  // namespace rihla::check
