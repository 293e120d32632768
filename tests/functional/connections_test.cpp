// Connections and file descriptors: a flood of connections beyond what the process may open
// neither pins an I/O thread (the acceptor backs off on EMFILE, and the connection cap leaves
// descriptors spare) nor stops the connections already open from being served.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/http_client.hpp"
#include "support/server_process.hpp"

namespace rihla::test {
namespace {

using namespace std::chrono_literals;

// utime + stime of `pid`, in clock ticks (/proc/PID/stat fields 14 and 15).
long long CpuTicks(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::istringstream rest(stat.substr(stat.rfind(')') + 2));  // the command name may hold spaces
  std::string field;
  long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stoll(field);
    if (i == 15) stime = std::stoll(field);
  }
  return utime + stime;
}

TEST(Connections, AFloodBeyondTheFileLimitNeitherSpinsNorStarvesOpenConnections) {
  constexpr int kLimit = 256, kFlood = 400;
  ServerProcess server(ServerConfig{.open_file_limit = kLimit});
  EXPECT_NE(server.LogText().find("open file limit lowers the connection cap"), std::string::npos)
      << "the cap leaves descriptors for the database and Redis";

  HttpClient kept(server.port());
  ASSERT_EQ(kept.Get("/healthz").status, 200);  // an open keep-alive connection

  HttpClient opener(server.port());
  std::vector<int> flood;
  for (int i = 0; i < kFlood; ++i) {
    int fd = opener.Connect();
    if (fd >= 0) flood.push_back(fd);
  }
  ASSERT_GT(static_cast<int>(flood.size()), kLimit) << "the flood must exceed the server's descriptor limit";

  // Measure the server's CPU over a window while the flood stays open.
  long long ticks_before = CpuTicks(server.pid());
  auto t0 = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(2s);  // a measuring window, not synchronisation
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  double cpu = double(CpuTicks(server.pid()) - ticks_before) / double(::sysconf(_SC_CLK_TCK)) / seconds;
  EXPECT_LT(cpu, 0.30) << "share of one core used while idle connections flood the server";

  auto served = kept.Get("/healthz");
  EXPECT_EQ(served.status, 200) << "an already-open keep-alive connection is still served";

  for (int fd : flood) ::close(fd);
  // New connections work again once the flood has closed (poll with a deadline).
  int status = 0;
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < deadline) {
    try {
      HttpClient fresh(server.port(), 2000);
      status = fresh.Get("/healthz").status;
      if (status == 200) break;
    } catch (const std::exception&) {
    }
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(status, 200);
}

}  // namespace
}  // namespace rihla::test
