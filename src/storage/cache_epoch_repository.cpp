#include "storage/cache_epoch_repository.hpp"

#include <soci/soci.h>

#include <stdexcept>

#include "storage/statement.hpp"

namespace rihla::storage {
namespace {

constexpr const char* kRead = "SELECT epoch FROM cache_epoch WHERE id = 1";
constexpr const char* kBump = "UPDATE cache_epoch SET epoch = epoch + 1 WHERE id = 1";

}  // namespace

std::int64_t ReadCacheEpoch(Tx& tx) {
  long long epoch = 0;
  if (!Execute(tx, kRead, soci::into(epoch))) throw std::runtime_error("cache_epoch has no row (migration 0002 not applied?)");
  return epoch;
}

std::int64_t BumpCacheEpoch(Tx& tx) {
  Execute(tx, kBump);
  return ReadCacheEpoch(tx);
}

}  // namespace rihla::storage
