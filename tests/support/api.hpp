#pragma once
// Helpers for functional tests: users, admin flights, signed webhooks, bookings.
#include <chrono>
#include <functional>
#include <vector>
#include <string>
#include <thread>

#include "support/http_client.hpp"
#include "support/server_process.hpp"

namespace rihla::test {

// A JSON string value as std::string (throws if it is not a string).
inline std::string Str(const boost::json::value& v) { return std::string(v.as_string()); }

// Tomorrow (UTC) as YYYY-MM-DD, plus `days_ahead - 1`.
std::string FutureDate(int days_ahead = 1);

struct User {
  std::string id;
  std::string token;
  Headers Auth() const { return {{"Authorization", "Bearer " + token}}; }
};

// Signs up a new user with a random email. Fails the calling test (throws) on error.
User SignUp(HttpClient& client);

// Creates a flight through the admin API; returns its JSON. Departs on FutureDate(days_ahead).
boost::json::object CreateFlight(HttpClient& client, const std::string& from, const std::string& to, int seats,
                                 const std::string& price = "100.00", int days_ahead = 1,
                                 const std::string& cabin = "economy");

std::string BookingBody(const std::string& flight_id, int passengers = 1);
HttpResponse Book(HttpClient& client, const User& user, const std::string& flight_id, const std::string& key,
                  int passengers = 1);

// Rihla-Signature for `body` at `t` (default now) with the test secret.
std::string WebhookSignature(const std::string& body, long long t = 0,
                             const std::string& secret = ServerProcess::kWebhookSecret);
std::string PaymentEvent(const std::string& event_id, const std::string& type, const std::string& booking_id,
                         const std::string& amount, const std::string& currency = "SAR");

// Seats available on a flight, read through GET /v1/flights/{id}.
int SeatsAvailable(HttpClient& client, const std::string& flight_id);

// A counter/gauge without labels from GET /metrics (0 when absent).
long long MetricValue(HttpClient& client, const std::string& name);
// seats_available of `flight_id` in the search result of `query`, or -1 when it is not listed.
long long SeatsInSearch(HttpClient& client, const std::string& query, const std::string& flight_id);

// Sends n requests at once: thread i connects its own client to port_of(i), then all threads are
// released together by a barrier and each runs request(i, client). Returns the answers by i.
std::vector<HttpResponse> Race(int n, const std::function<int(int)>& port_of,
                               const std::function<HttpResponse(int, HttpClient&)>& request);

// Polls `condition` every 20 ms until it is true or `timeout_ms` passed; returns its last value.
template <class F>
bool Eventually(F condition, int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace rihla::test
