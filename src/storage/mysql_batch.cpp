#include "storage/mysql_batch.hpp"

#include <mysql.h>
#include <soci/mysql/soci-mysql.h>
#include <soci/soci.h>

#include "storage/commit_writes.hpp"
#include "storage/placeholders.hpp"

namespace rihla::storage {
namespace {

[[noreturn]] void Fail(MYSQL* conn) {
  throw soci::mysql_soci_error(mysql_error(conn), static_cast<int>(mysql_errno(conn)));
}

// Appends `value` as a SQL literal.
void AppendLiteral(MYSQL* conn, std::string& out, const SqlValue& value) {
  if (const auto* text = std::get_if<std::string>(&value)) {
    std::string escaped(text->size() * 2 + 1, '\0');  // the function's documented worst case
    unsigned long n = mysql_real_escape_string(conn, escaped.data(), text->data(), text->size());
    if (n == static_cast<unsigned long>(-1)) Fail(conn);
    out += '\'';
    out.append(escaped.data(), n);
    out += '\'';
  } else if (const auto* number = std::get_if<long long>(&value)) {
    out += std::to_string(*number);
  } else {
    out += "NULL";
  }
}

}  // namespace

void MysqlCommitWithWrites(soci::session& session, StatementCache&, std::span<const QueuedWrite> writes) {
  // static_cast: this dialect's sessions are MySQL ones.
  MYSQL* conn = static_cast<soci::mysql_session_backend*>(session.get_backend())->conn_;
  std::string batch;
  for (const QueuedWrite& w : writes) {
    batch += ReplacePlaceholders(w.query, [&](std::string& out, int index) {
      if (index >= static_cast<int>(w.values.size())) {
        throw soci::soci_error("a queued write has more placeholders than values: " + w.query);
      }
      AppendLiteral(conn, out, w.values[index]);
    });
    batch += ";\n";
  }
  batch += "COMMIT";
  if (mysql_real_query(conn, batch.data(), batch.size()) != 0) Fail(conn);
  // One result per statement, each consumed before the next (none of them returns rows); a
  // positive mysql_next_result is the error of the statement that stopped the batch.
  for (;;) {
    if (MYSQL_RES* rows = mysql_store_result(conn); rows != nullptr) mysql_free_result(rows);
    int next = mysql_next_result(conn);
    if (next < 0) return;
    if (next > 0) Fail(conn);
  }
}

}  // namespace rihla::storage
