// rihla-check: load, fault and invariant checker for a rihla deployment (docs/checking.md).
#include <CLI/CLI.hpp>
#include <unistd.h>

#include <iostream>
#include <random>

#include "http_client.hpp"
#include "runner.hpp"

int main(int argc, char** argv) {
  using namespace rihla::check;
  CLI::App app{"rihla-check: drives a load with faults against rihla instances and checks its promises"};
  app.require_subcommand(1);
  RunOptions options;
  std::vector<std::string> faults;
  std::uint64_t seed = 0;
  auto* run = app.add_subcommand("run", "run the workload and check the invariants");
  run->add_option("--target", options.targets, "base URL of an instance (repeatable)")->required();
  run->add_option("--admin-token", options.admin_token, "the deployment's RIHLA_ADMIN_TOKEN")->required();
  run->add_option("--webhook-secret", options.webhook_secret, "the deployment's RIHLA_WEBHOOK_SECRET")->required();
  run->add_option("--duration", options.duration_s, "seconds of load")->capture_default_str()->check(CLI::PositiveNumber);
  run->add_option("--concurrency", options.concurrency, "concurrent workers")
      ->capture_default_str()
      ->check(CLI::Range(1, 4096));
  auto* seed_opt = run->add_option("--seed", seed, "random seed (default: random)");
  run->add_option("--log", options.logs, "an instance's JSON log file, read at the end (repeatable)");
  run->add_option("--fault", faults, "'at=20s cmd=COMMAND': run COMMAND by /bin/sh -c at that offset (repeatable)");
  run->add_option("--report", options.report_path, "write the JSON report here");
  run->add_option("--html", options.html_path, "write the HTML report here");
  try {
    app.parse(argc, argv);
    for (const auto& t : options.targets) ParseTarget(t);
    for (const auto& f : faults) options.faults.push_back(ParseFault(f));
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  } catch (const std::invalid_argument& e) {
    std::cerr << "rihla-check: " << e.what() << "\n";
    return kExitUsage;
  }
  options.seed = seed_opt->count() > 0 ? seed : std::random_device{}();
  options.progress_tty = ::isatty(STDOUT_FILENO) == 1;
  return RunCheck(options);
}
