#pragma once
// A fixture whose tests share one server process, started once per test suite. (ctest runs
// every test in its own process, so there it is one server per test; run directly, a suite
// shares it.) `Self::Config()` says how the server is configured.
#include <gtest/gtest.h>

#include <memory>

#include "support/http_client.hpp"
#include "support/server_process.hpp"

namespace rihla::test {

template <class Self>
class SharedServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = std::make_unique<ServerProcess>(Self::Config()); }
  static void TearDownTestSuite() { server_.reset(); }

  inline static std::unique_ptr<ServerProcess> server_;
  HttpClient client_{server_->port()};
};

}  // namespace rihla::test
