#pragma once
// The cache epoch (table cache_epoch, one row): the counter behind the shared cache's epoch
// lease (cache/epoch_lease.hpp). Every function runs inside the caller's Tx and throws what
// Database::Write/Read document.
#include <cstdint>

#include "storage/database.hpp"

namespace rihla::storage {

std::int64_t ReadCacheEpoch(Tx& tx);
// Increments the epoch; returns the new value. Run it in a Write transaction.
std::int64_t BumpCacheEpoch(Tx& tx);

}  // namespace rihla::storage
