#include "app/fd_limit.hpp"

#include <sys/resource.h>

#include <algorithm>

namespace rihla::app {

std::uint64_t RaiseOpenFileLimit() {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) return 1024;
  if (lim.rlim_cur < lim.rlim_max) {
    rlimit raised = lim;
    raised.rlim_cur = lim.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) lim = raised;
  }
  return lim.rlim_cur == RLIM_INFINITY ? UINT64_MAX : static_cast<std::uint64_t>(lim.rlim_cur);
}

std::size_t ReservedDescriptors(std::size_t db_pool, std::size_t workers) { return db_pool + workers + 64; }

std::size_t ConnectionCap(std::size_t configured, std::uint64_t fd_limit, std::size_t reserved) {
  if (fd_limit <= reserved) return 1;
  return std::max<std::size_t>(1, std::min<std::uint64_t>(configured, fd_limit - reserved));
}

}  // namespace rihla::app
