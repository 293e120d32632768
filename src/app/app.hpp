#pragma once
// The composition root: builds every component from Config and runs a command.
// Each returns the process exit code.
#include "app/config.hpp"

namespace rihla::app {

int Serve(const Config& config);
int Migrate(const Config& config);
int Seed(const Config& config, int days);
int Cleanup(const Config& config);
int PurgeCache(const Config& config, const std::string& route, bool all);

}  // namespace rihla::app
