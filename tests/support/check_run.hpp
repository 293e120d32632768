#pragma once
// Running rihla-check (tools/check) from a functional test, and judging its report.
#include <boost/json.hpp>

#include <string>
#include <vector>

#include "support/server_process.hpp"

namespace rihla::test {

struct CheckRun {
  int exit_code = -1;
  std::string output;
  boost::json::object report;
};

// Runs `rihla-check run` with `args` (targets, durations, ...) and the test secrets, its output
// and report in `dir`.
CheckRun RunChecker(const std::string& dir, const std::vector<std::string>& args);

std::string Url(const ServerProcess& s);
long long Violations(const CheckRun& run, const std::string& invariant);
// Every invariant has zero violations and the checker exited 0 (gtest expectations).
void ExpectNoViolations(const CheckRun& run);
// Answers with a 5xx status, over every operation. (Requests without an answer, "error", are
// also made on purpose: the checker gives some first attempts a 2 ms timeout, then retries.)
long long ServerErrors(const CheckRun& run);

std::string ShellQuote(const std::string& s);
std::string ReadFile(const std::string& path);

}  // namespace rihla::test
