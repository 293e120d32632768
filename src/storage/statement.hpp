#pragma once
// Internal to storage/ (and the idempotency record store): running a statement through the
// connection's StatementCache, so that repeated calls reuse its prepared form.
//
//   Statement st(tx, kFindToken, soci::use(hash), soci::into(user_id));
//   st->execute(true);
//   if (!st->got_data()) ...
//
// The elements are bound for this use only; the statement goes back to the cache when `st` is
// destroyed, so it must not outlive the variables it binds nor the Tx.
#include <soci/soci.h>

#include <memory>
#include <string>
#include <utility>

#include "storage/database.hpp"
#include "storage/statement_cache.hpp"

namespace rihla::storage {

class Statement {
 public:
  // Takes the statement for `query` and binds `elements` (soci::use / soci::into, in
  // placeholder and column order). Throws soci::soci_error.
  template <class... Elements>
  Statement(Tx& tx, std::string query, Elements&&... elements)
      : cache_(tx.statements), query_(std::move(query)), st_(cache_.Take(tx.sql, query_)) {
    try {
      (st_->exchange(std::forward<Elements>(elements)), ...);
      st_->define_and_bind();
    } catch (...) {
      cache_.Give(query_, std::move(st_));
      throw;
    }
  }
  ~Statement() { cache_.Give(query_, std::move(st_)); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  soci::statement* operator->() { return st_.get(); }
  soci::statement& operator*() { return *st_; }

  // The two-step form, for queries whose elements vary: exchange them one by one, then Bind.
  //   Statement st(tx, query, Statement::kDeferBind);
  //   st->exchange(soci::use(a)); ...; st.Bind();
  struct DeferBind {};
  static constexpr DeferBind kDeferBind{};
  Statement(Tx& tx, std::string query, DeferBind)
      : cache_(tx.statements), query_(std::move(query)), st_(cache_.Take(tx.sql, query_)) {}
  void Bind() { st_->define_and_bind(); }

 private:
  StatementCache& cache_;
  std::string query_;
  std::unique_ptr<soci::statement> st_;
};

// Runs `query` once with `elements` and exchanges the first row (the form of
// `tx.sql << query, elements...`). Returns whether a row came back.
template <class... Elements>
bool Execute(Tx& tx, std::string query, Elements&&... elements) {
  Statement st(tx, std::move(query), std::forward<Elements>(elements)...);
  return st->execute(true);
}

}  // namespace rihla::storage
