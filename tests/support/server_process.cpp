#include "support/server_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <future>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "security/crypto.hpp"
#include "storage/database.hpp"

#include <soci/soci.h>

extern char** environ;

namespace rihla::test {
namespace {

std::string MakeTempDir() {
  char tmpl[] = "/tmp/rihla-ft.XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
  return tmpl;
}

// The whole file, or "" when it does not exist.
std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Waits for pid to exit within timeout; returns the wait status or -1 on timeout.
int WaitPid(int pid, int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    int status = 0;
    int r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return status;
    if (std::chrono::steady_clock::now() >= deadline) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

// Forks and execs `args` with `env`, stdout and stderr appended to `log_path`; with
// open_file_limit > 0 the child runs under that RLIMIT_NOFILE (soft and hard).
int Spawn(const std::vector<std::string>& args, const std::vector<std::string>& env, const std::string& log_path,
          int open_file_limit = 0) {
  std::vector<char*> argv, envp;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  int pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive a crashed test process
    if (open_file_limit > 0) {
      rlimit lim{static_cast<rlim_t>(open_file_limit), static_cast<rlim_t>(open_file_limit)};
      if (::setrlimit(RLIMIT_NOFILE, &lim) != 0) ::_exit(126);
    }
    int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      ::close(fd);
    }
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  return pid;
}

}  // namespace

std::string Backend() {
  const char* b = std::getenv("RIHLA_TEST_BACKEND");
  if (b != nullptr && *b != '\0') return b;
  return Topology() == "nginx" ? "postgres" : "sqlite";  // balanced instances share a server database
}

std::string PostgresVia() {
  const char* v = std::getenv("RIHLA_TEST_POSTGRES_VIA");
  return v != nullptr && *v != '\0' ? v : "direct";
}

std::string FreshDatabaseUrl(const std::string& dir) {
  std::string backend = Backend();
  if (backend == "sqlite") return "sqlite:" + dir + "/rihla.db";
  const char* base = std::getenv(backend == "postgres" ? "RIHLA_TEST_POSTGRES_URL" : "RIHLA_TEST_MYSQL_URL");
  if (base == nullptr) throw std::runtime_error("RIHLA_TEST_BACKEND=" + backend + " needs its RIHLA_TEST_*_URL");
  std::string name = "rihla_t" + RandomHex(6);
  storage::Database admin(storage::ParseDatabaseUrl(base), storage::DatabaseOptions{1});
  admin.Raw([&](storage::Tx& tx) { tx.sql << "CREATE DATABASE " + name; });  // name is generated hex
  std::string url = base;
  // Through PgBouncer: the database is created directly on the server (above), then reached
  // through the pooler, which routes every database name to that server.
  if (backend == "postgres" && PostgresVia() == "pgbouncer") {
    const char* bouncer = std::getenv("RIHLA_TEST_PGBOUNCER_URL");
    if (bouncer == nullptr) throw std::runtime_error("RIHLA_TEST_POSTGRES_VIA=pgbouncer needs RIHLA_TEST_PGBOUNCER_URL");
    url = bouncer;
  }
  return url.substr(0, url.rfind('/') + 1) + name;
}

std::string Topology() {
  const char* t = std::getenv("RIHLA_TEST_TOPOLOGY");
  return t != nullptr ? t : "";
}

namespace {
constexpr int kBalancedInstances = 3;
}  // namespace

ServerProcess::ServerProcess(ServerConfig config) : config_(std::move(config)) {
  if (Topology() == "nginx") {
    // Instances behind a balancer share the search cache, or they would serve each other's
    // stale entries: the topology is N instances + one server database + Redis.
    const char* redis = std::getenv("RIHLA_TEST_REDIS_URL");
    if (redis == nullptr) throw std::runtime_error("RIHLA_TEST_TOPOLOGY=nginx needs RIHLA_TEST_REDIS_URL");
    config_.env.try_emplace("RIHLA_REDIS_URL", redis);
    peers_.resize(kBalancedInstances - 1);
  } else if (!Topology().empty()) {
    throw std::runtime_error("RIHLA_TEST_TOPOLOGY must be empty or nginx");
  }
  dir_ = MakeTempDir();
  log_path_ = dir_ + "/server.log";
  database_url_ = config_.database_url.empty() ? FreshDatabaseUrl(dir_) : config_.database_url;
  // A fresh database must not meet search entries cached for another test's database.
  if (config_.database_url.empty() && config_.env.contains("RIHLA_REDIS_URL")) {
    if (RunCommand({"cache", "purge", "--all"}) != 0) throw std::runtime_error("cache purge failed: " + LogText());
  }
  if (config_.seed_days >= 0) {
    int rc = RunCommand({"seed", "--days", std::to_string(config_.seed_days)});
    if (rc != 0) throw std::runtime_error("rihla seed failed: " + LogText());
  }
  Start();
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) Terminate();
  StopBalancer();
  std::string cmd = "rm -rf '" + dir_ + "'";
  if (std::system(cmd.c_str()) != 0) {
  }
}

std::vector<std::string> ServerProcess::Environment() const {
  std::map<std::string, std::string> vars;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string kv = *e;
    auto eq = kv.find('=');
    if (eq == std::string::npos || kv.rfind("RIHLA_", 0) == 0) continue;  // RIHLA_* only from the test
    vars[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  vars["RIHLA_DATABASE_URL"] = database_url_;
  vars["RIHLA_ADMIN_TOKEN"] = kAdminToken;
  vars["RIHLA_WEBHOOK_SECRET"] = kWebhookSecret;
  vars["RIHLA_THREADS"] = "2";
  vars["RIHLA_LOG_LEVEL"] = "debug";
  vars["RIHLA_DRAIN_SECONDS"] = "0";  // Terminate() is a stop, not a drain, unless a test sets it
  if (Backend() == "postgres" && PostgresVia() == "pgbouncer") vars["RIHLA_DB_POOLER"] = "transaction";
  for (const auto& [k, v] : config_.env) vars[k] = v;
  std::vector<std::string> out;
  for (const auto& [k, v] : vars) {
    if (!v.empty()) out.push_back(k + "=" + v);
  }
  return out;
}

int ServerProcess::RunCommand(const std::vector<std::string>& args) const {
  std::vector<std::string> argv{RIHLA_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  int pid = Spawn(argv, Environment(), log_path_);
  int status = WaitPid(pid, 120000);
  if (status == -1) {
    ::kill(pid, SIGKILL);
    WaitPid(pid, 5000);
    return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int ServerProcess::SpawnServe(int port, const std::string& log_path, int& pid) {
  auto read_log = [&log_path] { return ReadFile(log_path); };
  std::size_t log_offset = read_log().size();
  pid = Spawn({RIHLA_BINARY, "serve", "--listen", "127.0.0.1:" + std::to_string(port)}, Environment(), log_path,
              config_.open_file_limit);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    std::string text = read_log().substr(log_offset);
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
      if (line.find("\"msg\":\"listening\"") == std::string::npos) continue;
      auto v = boost::json::parse(line).as_object();
      return static_cast<int>(v.at("port").as_int64());
    }
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      pid = -1;
      throw std::runtime_error("rihla serve exited at start-up:\n" + text);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(pid, SIGKILL);
  WaitPid(pid, 10000);
  pid = -1;
  throw std::runtime_error("rihla serve did not start listening in time:\n" + read_log());
}

void ServerProcess::Start(int port) {
  ++starts_;
  // The other instances start alongside the first (each waits for its own "listening" line),
  // and keep their ports across restarts: the balancer's upstreams stay valid.
  std::vector<std::future<void>> starting;
  for (std::size_t i = 0; i < peers_.size(); ++i) {
    auto& peer = peers_[i];
    if (peer.log_path.empty()) peer.log_path = dir_ + "/server-" + std::to_string(i + 2) + ".log";
    if (peer.pid > 0) continue;
    starting.push_back(std::async(std::launch::async,
                                  [this, &peer] { peer.port = SpawnServe(peer.port, peer.log_path, peer.pid); }));
  }
  std::exception_ptr error;
  try {
    port_ = SpawnServe(port, log_path_, pid_);
  } catch (...) {
    error = std::current_exception();
  }
  for (auto& f : starting) {
    try {
      f.get();
    } catch (...) {
      if (!error) error = std::current_exception();
    }
  }
  if (error) std::rethrow_exception(error);
  if (peers_.empty() || lb_port_ > 0) return;
  std::string cmd = std::string("'") + RIHLA_SOURCE_DIR + "/scripts/lb.sh' start '" + dir_ + "/lb' nginx " +
                    std::to_string(port_);
  for (const auto& peer : peers_) cmd += " " + std::to_string(peer.port);
  cmd += " 2>>'" + dir_ + "/lb.log'";
  FILE* out = ::popen(cmd.c_str(), "r");
  if (out == nullptr) throw std::runtime_error("cannot run scripts/lb.sh");
  char buf[64] = {};
  bool got = std::fgets(buf, sizeof buf, out) != nullptr;
  int rc = ::pclose(out);
  if (!got || rc != 0) {
    throw std::runtime_error("scripts/lb.sh could not start nginx:\n" + ReadFile(dir_ + "/lb.log"));
  }
  lb_port_ = std::stoi(buf);
}

void ServerProcess::StopBalancer() {
  if (lb_port_ <= 0) return;
  std::string cmd = std::string("'") + RIHLA_SOURCE_DIR + "/scripts/lb.sh' stop '" + dir_ + "/lb' 2>>'" + dir_ +
                    "/lb.log'";
  if (std::system(cmd.c_str()) != 0) {
  }
  lb_port_ = 0;
}

void ServerProcess::Restart() {
  if (pid_ > 0) Terminate();
  Start(peers_.empty() ? 0 : port_);  // behind a balancer the instances keep their ports
}

void ServerProcess::RestartOnSamePort() {
  if (pid_ > 0) Terminate();
  Start(port_);
}

int ServerProcess::Terminate() {
  if (pid_ <= 0) return -1;
  for (auto& peer : peers_) {
    if (peer.pid > 0) ::kill(peer.pid, SIGTERM);
  }
  ::kill(pid_, SIGTERM);
  for (auto& peer : peers_) {
    if (peer.pid <= 0) continue;
    if (WaitPid(peer.pid, 15000) == -1) {
      ::kill(peer.pid, SIGKILL);
      WaitPid(peer.pid, 10000);
    }
    peer.pid = -1;
  }
  int status = WaitPid(pid_, 15000);
  if (status == -1) {
    Kill();
    return -1;
  }
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void ServerProcess::Signal(int signo) const {
  if (pid_ > 0) ::kill(pid_, signo);
}

int ServerProcess::WaitForExit(int timeout_ms) {
  if (pid_ <= 0) return -1;
  int status = WaitPid(pid_, timeout_ms);
  if (status == -1) return -1;
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void ServerProcess::Kill() {
  for (auto& peer : peers_) {
    if (peer.pid <= 0) continue;
    ::kill(peer.pid, SIGKILL);
    WaitPid(peer.pid, 10000);
    peer.pid = -1;
  }
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  WaitPid(pid_, 10000);
  pid_ = -1;
}

bool ServerProcess::WaitForKillSignal(int timeout_ms) {
  if (pid_ <= 0) return false;
  int status = WaitPid(pid_, timeout_ms);
  if (status == -1) return false;
  pid_ = -1;
  return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
}

std::string ServerProcess::LogText() const {
  std::string text = ReadFile(log_path_);
  for (const auto& peer : peers_) {
    if (!peer.log_path.empty()) text += ReadFile(peer.log_path);
  }
  return text;
}

std::vector<boost::json::object> ServerProcess::LogLines() const {
  std::vector<boost::json::object> out;
  std::istringstream lines(LogText());
  std::string line;
  while (std::getline(lines, line)) {
    boost::json::error_code ec;
    auto v = boost::json::parse(line, ec);
    if (!ec && v.is_object()) out.push_back(v.as_object());
  }
  return out;
}

}  // namespace rihla::test
