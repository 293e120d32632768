#pragma once
// Method + path-template router. Templates are literal segments and `{name}` parameters
// ("/v1/bookings/{id}/cancel"). Registration happens once at start-up; Match is read-only and
// thread-safe afterwards.
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/message.hpp"
#include "observability/request_context.hpp"

namespace rihla::http {

using PathParams = std::vector<std::pair<std::string, std::string>>;

inline std::string_view Param(const PathParams& params, std::string_view name) {
  for (const auto& [k, v] : params) {
    if (k == name) return v;
  }
  return {};
}

enum class Auth { kNone, kUser, kAdmin, kWebhook };

// Which worker pool runs a route's handler. Password hashing (argon2id: ~64 MiB and tens of
// milliseconds each) has its own small pool and queue, so a storm of logins sheds logins
// (503) instead of starving the searches, bookings and webhooks on the database pool.
enum class Work { kDatabase, kPasswordHashing };

// A handler runs on a worker thread of its route's pool (Route::work) and may block on the
// database, or on the I/O thread when the route is runs_inline (then it must not block). It
// returns the response or throws ApiError / StorageUnavailable, which the pipeline renders as
// problem+json.
using Handler = std::function<Response(RequestContext&, const Request&, const PathParams&)>;
// An optional fast path that runs on the I/O thread and must never block (e.g. an in-process
// cache hit). Returns true and fills `out` when it answered; false sends the request on to Handler.
using FastPath = std::function<bool(RequestContext&, const Request&, const PathParams&, Response& out)>;

struct Route {
  std::string method;
  std::string pattern;
  Auth auth = Auth::kNone;
  bool json_body = false;  // POST/PATCH with a JSON body: Content-Type must be application/json
  Handler handler;
  FastPath fast_path;
  bool runs_inline = false;  // cheap, non-blocking handler: run on the I/O thread (health, metrics)
  Work work = Work::kDatabase;  // the pool that runs `handler`
};

struct Match {
  const Route* route = nullptr;  // set when method and path matched
  PathParams params;
  bool path_known = false;       // some route has this path (405 if route == nullptr)
  std::string pattern;           // template of the first route with this path
  std::string allow;             // methods for this path, "GET, POST"
};

class Router {
 public:
  void Add(Route route);
  Match Find(std::string_view method, std::string_view path) const;
  // (method, pattern) of every route, in registration order.
  std::vector<std::pair<std::string, std::string>> List() const;

 private:
  struct Entry {
    Route route;
    std::vector<std::string> segments;
  };
  static bool MatchSegments(const std::vector<std::string>& pattern, const std::vector<std::string_view>& path,
                            PathParams& params);
  std::vector<Entry> entries_;
};

}  // namespace rihla::http
