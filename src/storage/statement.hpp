#pragma once
// Internal to storage/: finishing a SOCI statement whose into/use elements were added one by
// one with statement::exchange (for queries whose parameters vary).
#include <soci/soci.h>

#include <string>

namespace rihla::storage {

inline void PrepareStatement(soci::statement& st, const std::string& query) {
  st.alloc();
  st.prepare(query);
  st.define_and_bind();
}

}  // namespace rihla::storage
