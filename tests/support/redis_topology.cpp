#include "support/redis_topology.hpp"

#include <hiredis/hiredis.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace rihla::test {
namespace {

std::string EnvOrEmpty(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? "" : v;
}

// Applied before any test runs (see the header); the process has one thread then.
const bool kTopologyApplied = [] {
  if (EnvOrEmpty("RIHLA_TEST_REDIS_TOPOLOGY") != "cluster") return false;
  std::string url = EnvOrEmpty("RIHLA_TEST_REDIS_CLUSTER_URL");
  if (url.empty()) {
    ::unsetenv("RIHLA_TEST_REDIS_URL");  // the Redis tests skip rather than run on a single Redis
  } else {
    ::setenv("RIHLA_TEST_REDIS_URL", url.c_str(), 1);
  }
  ::unsetenv("RIHLA_TEST_REDIS_STOP_CMD");
  ::unsetenv("RIHLA_TEST_REDIS_START_CMD");
  return true;
}();

std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Runs a shell command, returning its stdout; throws when it fails.
std::string Shell(const std::string& cmd) {
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) throw std::runtime_error("popen failed: " + cmd);
  std::string out;
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  int status = ::pclose(p);
  if (status != 0) throw std::runtime_error("failed (" + std::to_string(status) + "): " + cmd + "\n" + out);
  return out;
}

void Flatten(const redisReply* r, std::vector<std::string>& out) {
  switch (r->type) {
    case REDIS_REPLY_ARRAY:
      for (std::size_t i = 0; i < r->elements; ++i) Flatten(r->element[i], out);
      break;
    case REDIS_REPLY_INTEGER:
      out.push_back(std::to_string(r->integer));
      break;
    case REDIS_REPLY_NIL:
      out.emplace_back();
      break;
    default:
      out.emplace_back(r->str, r->len);
  }
}

}  // namespace

std::string RedisTopology() {
  (void)kTopologyApplied;
  return EnvOrEmpty("RIHLA_TEST_REDIS_TOPOLOGY");
}

PrivateRedis::PrivateRedis(const std::string& service) {
  char tmpl[] = "/tmp/rihla-redis-topo.XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
  state_ = tmpl;
  std::string script = std::string(RIHLA_SOURCE_DIR) + "/scripts/services.sh";
  std::string env_file = Shell(Quote(script) + " start " + Quote(state_) + " " + Quote(service) + " 2>" +
                               Quote(state_ + "/services.log"));
  while (!env_file.empty() && (env_file.back() == '\n' || env_file.back() == ' ')) env_file.pop_back();
  // env.sh is `export NAME=VALUE` with VALUE %q-quoted; the values here only escape , and space.
  std::string dump = Shell("set -a; . " + Quote(env_file) + "; env | grep '^RIHLA_TEST_'");
  std::istringstream lines(dump);
  std::string line;
  while (std::getline(lines, line)) {
    auto eq = line.find('=');
    if (eq != std::string::npos) env_[line.substr(0, eq)] = line.substr(eq + 1);
  }
}

PrivateRedis::~PrivateRedis() {
  std::string script = std::string(RIHLA_SOURCE_DIR) + "/scripts/services.sh";
  std::string cmd = Quote(script) + " stop " + Quote(state_) + " >/dev/null 2>&1; rm -rf " + Quote(state_);
  if (std::system(cmd.c_str()) != 0) {
  }
}

std::string PrivateRedis::Env(const std::string& name) const {
  auto it = env_.find(name);
  return it == env_.end() ? "" : it->second;
}

std::vector<std::string> RedisCommand(int port, const std::vector<std::string>& args) {
  timeval tv{5, 0};
  redisContext* ctx = redisConnectWithTimeout("127.0.0.1", port, tv);
  if (ctx == nullptr || ctx->err != 0) {
    std::string err = ctx != nullptr ? ctx->errstr : "no context";
    if (ctx != nullptr) redisFree(ctx);
    throw std::runtime_error("connect 127.0.0.1:" + std::to_string(port) + ": " + err);
  }
  redisSetTimeout(ctx, tv);
  std::vector<const char*> argv;
  std::vector<std::size_t> lens;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  auto* reply = static_cast<redisReply*>(redisCommandArgv(ctx, static_cast<int>(argv.size()), argv.data(), lens.data()));
  std::string err = reply == nullptr ? std::string(ctx->errstr) : "";
  redisFree(ctx);
  if (reply == nullptr) throw std::runtime_error(args[0] + ": " + err);
  std::vector<std::string> out;
  if (reply->type == REDIS_REPLY_ERROR) err = std::string(reply->str, reply->len);
  else Flatten(reply, out);
  freeReplyObject(reply);
  if (!err.empty()) throw std::runtime_error(args[0] + ": " + err);
  return out;
}

std::vector<std::string> Words(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

}  // namespace rihla::test
