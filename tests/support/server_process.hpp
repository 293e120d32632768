#pragma once
// Starts the real `rihla` binary as a child process on a free loopback port, for black-box
// tests. Its stdout (JSON log lines) goes to a file the test can read.
#include <boost/json.hpp>

#include <map>
#include <string>
#include <vector>

namespace rihla::test {

// Which database the functional tests use: RIHLA_TEST_BACKEND = sqlite (default), postgres or
// mysql (then RIHLA_TEST_POSTGRES_URL / RIHLA_TEST_MYSQL_URL name a server the tests may create
// databases on).
std::string Backend();
// How the PostgreSQL backend is reached: RIHLA_TEST_POSTGRES_VIA = direct (default) or
// pgbouncer (RIHLA_TEST_PGBOUNCER_URL, a PgBouncer in pool_mode=transaction in front of
// RIHLA_TEST_POSTGRES_URL's server).
std::string PostgresVia();
// A URL to a new, empty database of the configured backend (SQLite: a file under `dir`).
std::string FreshDatabaseUrl(const std::string& dir);
// RIHLA_TEST_TOPOLOGY: empty (one instance, reached directly) or `nginx`: every ServerProcess is
// 3 instances on one database (PostgreSQL unless RIHLA_TEST_BACKEND says otherwise) and the Redis of RIHLA_TEST_REDIS_URL, behind nginx running the
// shipped deploy/nginx.conf (scripts/lb.sh), and port() is nginx's.
std::string Topology();

struct ServerConfig {
  std::string database_url;  // empty: a fresh database
  std::map<std::string, std::string> env;  // extra RIHLA_* variables
  int seed_days = 0;         // demo schedule days to seed (0: airports only); -1: do not seed
  int open_file_limit = 0;   // > 0: `serve` runs under this RLIMIT_NOFILE, soft and hard (ulimit -n)
};

class ServerProcess {
 public:
  static constexpr const char* kAdminToken = "test-admin-token";
  static constexpr const char* kWebhookSecret = "test-webhook-secret";

  explicit ServerProcess(ServerConfig config = {});
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // Where clients connect: the instance, or the balancer in front of the instances.
  int port() const { return lb_port_ > 0 ? lb_port_ : port_; }
  // The (first) instance's pid.
  int pid() const { return pid_; }
  const std::string& database_url() const { return database_url_; }
  const std::string& dir() const { return dir_; }

  // Sends SIGTERM and waits (up to 15 s); returns the exit status (-1 if it had to be killed).
  int Terminate();
  // SIGKILL and reap.
  void Kill();
  // Sends `signo` (SIGTERM, SIGINT) and returns at once; see WaitForExit.
  void Signal(int signo) const;
  // Waits up to timeout_ms for the process to exit; returns its exit status, 128 + the signal
  // that killed it, or -1 when it still runs.
  int WaitForExit(int timeout_ms);
  // Waits for the process to exit by itself (e.g. a fault point); returns true if it died of SIGKILL.
  bool WaitForKillSignal(int timeout_ms);
  // Starts the binary again on the same database (a new port).
  void Restart();
  // Starts the binary again on the same database and the same port, as a supervisor
  // (systemd) would after a crash: clients and balancers keep their target.
  void RestartOnSamePort();
  bool Running() const { return pid_ > 0; }

  // Every JSON log line written so far, of every instance (non-JSON lines are skipped).
  std::vector<boost::json::object> LogLines() const;
  std::string LogText() const;

  // Runs `rihla <args...>` with this server's environment; returns the exit status.
  int RunCommand(const std::vector<std::string>& args) const;

 private:
  void Start(int port = 0);  // 0: a free port
  // Spawns `serve` on `port` (0: a free one) logging to `log_path`; returns the bound port.
  int SpawnServe(int port, const std::string& log_path, int& pid);
  std::vector<std::string> Environment() const;
  void StopBalancer();

  // RIHLA_TEST_TOPOLOGY=nginx: the other instances (the first is pid_, port_, log_path_), and
  // the balancer (its state dir under dir_).
  struct Peer {
    int pid = -1;
    int port = 0;
    std::string log_path;
  };
  std::vector<Peer> peers_;
  int lb_port_ = 0;

  ServerConfig config_;
  std::string dir_;
  std::string database_url_;
  std::string log_path_;
  int pid_ = -1;
  int port_ = 0;
  int starts_ = 0;
};

}  // namespace rihla::test
