#include "storage/cache_epoch_repository.hpp"

#include <soci/soci.h>

#include <stdexcept>

namespace rihla::storage {
namespace {

constexpr const char* kRead = "SELECT epoch FROM cache_epoch WHERE id = 1";
constexpr const char* kBump = "UPDATE cache_epoch SET epoch = epoch + 1 WHERE id = 1";

}  // namespace

std::int64_t ReadCacheEpoch(Tx& tx) {
  long long epoch = 0;
  tx.sql << kRead, soci::into(epoch);
  if (!tx.sql.got_data()) throw std::runtime_error("cache_epoch has no row (migration 0002 not applied?)");
  return epoch;
}

std::int64_t BumpCacheEpoch(Tx& tx) {
  tx.sql << kBump;
  return ReadCacheEpoch(tx);
}

}  // namespace rihla::storage
