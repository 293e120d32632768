#include "support/check_run.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace rihla::test {

std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

CheckRun RunChecker(const std::string& dir, const std::vector<std::string>& args) {
  std::string report = dir + "/check-report.json";
  std::string out = dir + "/check-output.txt";
  std::string cmd = ShellQuote(RIHLA_CHECK_BINARY) + " run --admin-token " + ShellQuote(ServerProcess::kAdminToken) +
                    " --webhook-secret " + ShellQuote(ServerProcess::kWebhookSecret) + " --report " +
                    ShellQuote(report) + " --html " + ShellQuote(dir + "/check-report.html");
  for (const auto& a : args) cmd += " " + ShellQuote(a);
  cmd += " > " + ShellQuote(out) + " 2>&1";
  int status = std::system(cmd.c_str());
  CheckRun run;
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  run.output = ReadFile(out);
  std::string text = ReadFile(report);
  if (!text.empty()) run.report = boost::json::parse(text).as_object();
  return run;
}

std::string Url(const ServerProcess& s) { return "http://127.0.0.1:" + std::to_string(s.port()); }

long long Violations(const CheckRun& run, const std::string& invariant) {
  return run.report.at("invariants").at(invariant).at("violations").as_int64();
}

void ExpectNoViolations(const CheckRun& run) {
  ASSERT_FALSE(run.report.empty()) << run.output;
  for (const char* name : {"exactly_once", "no_oversell", "fresh_search", "correlation", "webhook_once"})
    EXPECT_EQ(Violations(run, name), 0) << name << "\n" << boost::json::serialize(run.report.at("invariants").at(name));
  EXPECT_EQ(run.exit_code, 0) << run.output;
}

long long ServerErrors(const CheckRun& run) {
  long long n = 0;
  for (const auto& [op, stats] : run.report.at("ops").as_object()) {
    for (const auto& [status, count] : stats.at("statuses").as_object()) {
      if (!status.empty() && status[0] == '5') n += count.as_int64();
    }
  }
  return n;
}

}  // namespace rihla::test
