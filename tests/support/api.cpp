#include "support/api.hpp"

#include <barrier>
#include <chrono>
#include <thread>
#include <stdexcept>

#include "domain/time.hpp"
#include "security/crypto.hpp"

namespace rihla::test {

std::string FutureDate(int days_ahead) {
  return domain::FormatRfc3339(domain::NowMs() + days_ahead * domain::kDayMs).substr(0, 10);
}

User SignUp(HttpClient& client) {
  std::string email = "u" + RandomHex(6) + "@example.com";
  auto r = client.PostJson("/v1/auth/signup",
                           boost::json::serialize(boost::json::object{{"email", email}, {"password", "correct horse"}}));
  if (r.status != 201) throw std::runtime_error("signup failed: " + r.body);
  auto body = r.Json().as_object();
  return User{std::string(body.at("user_id").as_string()), std::string(body.at("token").as_string())};
}

boost::json::object CreateFlight(HttpClient& client, const std::string& from, const std::string& to, int seats,
                                 const std::string& price, int days_ahead, const std::string& cabin) {
  static int counter = 0;
  std::string number = "RT" + std::to_string(1000 + (++counter % 9000)) + RandomHex(1).substr(0, 1);
  for (auto& c : number) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  std::string date = FutureDate(days_ahead);
  int minute = static_cast<int>(std::stoul(RandomHex(2), nullptr, 16) % 60);
  char dep[32], arr[32];
  std::snprintf(dep, sizeof dep, "%sT10:%02d:00Z", date.c_str(), minute);
  std::snprintf(arr, sizeof arr, "%sT12:%02d:00Z", date.c_str(), minute);
  boost::json::object body{{"flight_number", number}, {"from", from},       {"to", to},
                           {"departure_time", dep},   {"arrival_time", arr}, {"cabin", cabin},
                           {"price", {{"amount", price}, {"currency", "SAR"}}},
                           {"seats_total", seats}};
  auto r = client.PostJson("/v1/admin/flights", boost::json::serialize(body),
                           {{"Authorization", std::string("Bearer ") + ServerProcess::kAdminToken}});
  if (r.status != 201) throw std::runtime_error("create flight failed: " + r.body);
  return r.Json().as_object();
}

std::string BookingBody(const std::string& flight_id, int passengers) {
  boost::json::array list;
  for (int i = 0; i < passengers; ++i) {
    list.push_back(boost::json::object{{"given_name", "Passenger" + std::to_string(i)}, {"family_name", "Test"}});
  }
  return boost::json::serialize(boost::json::object{{"flight_id", flight_id}, {"passengers", list}});
}

HttpResponse Book(HttpClient& client, const User& user, const std::string& flight_id, const std::string& key,
                  int passengers) {
  auto headers = user.Auth();
  headers.emplace_back("Idempotency-Key", key);
  return client.PostJson("/v1/bookings", BookingBody(flight_id, passengers), headers);
}

std::string WebhookSignature(const std::string& body, long long t, const std::string& secret) {
  if (t == 0) t = domain::NowMs() / 1000;
  return "t=" + std::to_string(t) + ",v1=" + HmacSha256Hex(secret, std::to_string(t) + "." + body);
}

std::string PaymentEvent(const std::string& event_id, const std::string& type, const std::string& booking_id,
                         const std::string& amount, const std::string& currency) {
  return boost::json::serialize(boost::json::object{
      {"id", event_id},
      {"type", type},
      {"data", {{"booking_id", booking_id}, {"amount", {{"amount", amount}, {"currency", currency}}}}}});
}

int SeatsAvailable(HttpClient& client, const std::string& flight_id) {
  auto r = client.Get("/v1/flights/" + flight_id);
  if (r.status != 200) throw std::runtime_error("get flight failed: " + r.body);
  return static_cast<int>(r.Json().at("seats_available").as_int64());
}

std::vector<HttpResponse> Race(int n, const std::function<int(int)>& port_of,
                               const std::function<HttpResponse(int, HttpClient&)>& request) {
  std::barrier start(n);
  std::vector<HttpResponse> answers(static_cast<std::size_t>(n));
  std::vector<std::thread> threads;
  threads.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    threads.emplace_back([&, i] {
      HttpClient client(port_of(i));
      client.Get("/healthz");  // connected before the barrier
      start.arrive_and_wait();
      answers[static_cast<std::size_t>(i)] = request(i, client);
    });
  }
  for (auto& t : threads) t.join();
  return answers;
}

long long MetricValue(HttpClient& client, const std::string& name) {
  auto body = client.Get("/metrics").body;
  auto pos = body.find("\n" + name + " ");
  return pos == std::string::npos ? 0 : std::stoll(body.substr(pos + name.size() + 2));
}

long long SeatsInSearch(HttpClient& client, const std::string& query, const std::string& flight_id) {
  auto flights = client.Get(query).Json().at("flights").as_array();
  for (const auto& f : flights) {
    if (std::string(f.at("id").as_string()) == flight_id) return f.at("seats_available").as_int64();
  }
  return -1;
}

}  // namespace rihla::test
