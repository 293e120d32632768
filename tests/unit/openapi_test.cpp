// The OpenAPI document (docs/openapi.json) and the router describe the same routes.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <fstream>
#include <set>
#include <sstream>

#include "cache/memory_cache.hpp"
#include "handlers/idempotent_response.hpp"
#include "handlers/routes.hpp"
#include "idempotency/idempotency.hpp"
#include "services/auth_service.hpp"
#include "services/booking_service.hpp"
#include "services/flight_service.hpp"
#include "services/payment_service.hpp"

namespace rihla {
namespace {

std::set<std::string> RouterRoutes() {
  storage::Database db(storage::ParseDatabaseUrl("sqlite::memory:"), {});  // never connected here
  Metrics metrics;
  cache::MemoryCache cache(metrics, std::chrono::seconds(1), 10);
  idempotency::Executor idem(db, {}, metrics, handlers::RenderProblem);
  services::FlightService flights(db, cache, metrics);
  services::AuthService auth(db, "");
  services::BookingService bookings(db, idem, flights, std::chrono::seconds(1));
  services::PaymentService payments(idem, "");
  http::DrainState drain(std::chrono::seconds(0));
  handlers::Deps deps{flights, auth, bookings, payments, db, cache, metrics, drain};
  http::Router router;
  handlers::RegisterRoutes(router, deps);
  std::set<std::string> out;
  for (const auto& [method, pattern] : router.List()) out.insert(method + " " + pattern);
  return out;
}

std::set<std::string> DocumentedRoutes() {
  std::ifstream in(std::string(RIHLA_SOURCE_DIR) + "/docs/openapi.json");
  std::stringstream ss;
  ss << in.rdbuf();
  auto doc = boost::json::parse(ss.str()).as_object();
  EXPECT_EQ(std::string(doc.at("openapi").as_string()).substr(0, 3), "3.1");
  std::set<std::string> out;
  for (const auto& [path, item] : doc.at("paths").as_object()) {
    for (const auto& [method, op] : item.as_object()) {
      std::string m(method);
      if (m == "parameters" || m == "summary" || m == "description") continue;
      for (auto& c : m) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      out.insert(m + " " + std::string(path));
    }
  }
  return out;
}

TEST(OpenApi, DocumentsExactlyTheRoutesTheRouterServes) {
  auto served = RouterRoutes();
  auto documented = DocumentedRoutes();
  for (const auto& r : served) EXPECT_TRUE(documented.contains(r)) << "undocumented route: " << r;
  for (const auto& r : documented) EXPECT_TRUE(served.contains(r)) << "documented but not served: " << r;
  EXPECT_EQ(served.size(), 22u);
}

}  // namespace
}  // namespace rihla
