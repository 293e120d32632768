#include "storage/mysql_batch.hpp"

#include <mysql.h>
#include <soci/mysql/soci-mysql.h>
#include <soci/soci.h>

#include "storage/commit_writes.hpp"
#include "storage/placeholders.hpp"

namespace rihla::storage {
namespace {

constexpr unsigned int kDeadlock = 1213;  // ER_LOCK_DEADLOCK

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
    if (*number < 0) {
      out += '(' + std::to_string(*number) + ')';  // `a -:b` with b < 0 must not become a `--` comment
    } else {
      out += std::to_string(*number);
    }
  } else {
    out += "NULL";
  }
}

// Appends `write` with its values as literals.
// Throws soci::soci_error when the query's placeholders and the values do not pair up.
void AppendStatement(MYSQL* conn, std::string& batch, const QueuedWrite& write) {
  int used = 0;
  batch += ReplacePlaceholders(write.query, [&](std::string& out, int index) {
    if (index >= static_cast<int>(write.values.size())) {
      throw soci::soci_error("a batched write has more placeholders than values: " + write.query);
    }
    AppendLiteral(conn, out, write.values[index]);
    used = index + 1;
  });
  if (used != static_cast<int>(write.values.size())) {
    throw soci::soci_error("a batched write has fewer placeholders than values: " + write.query);
  }
}

MYSQL* Connection(soci::session& session) {
  // static_cast: this dialect's sessions are MySQL ones.
  return static_cast<soci::mysql_session_backend*>(session.get_backend())->conn_;
}

// Frees the current statement's result (none of the batched statements returns rows) and
// moves to the next: true when there is one, false after the last; throws the error of the
// statement that stopped the batch.
bool NextResult(MYSQL* conn) {
  if (MYSQL_RES* rows = mysql_store_result(conn); rows != nullptr) mysql_free_result(rows);
  int next = mysql_next_result(conn);
  if (next > 0) Fail(conn);
  return next == 0;
}

}  // namespace

void MysqlCommitWithWrites(soci::session& session, StatementCache&, std::span<const QueuedWrite> writes) {
  MYSQL* conn = Connection(session);
  std::string batch;
  for (const QueuedWrite& w : writes) {
    AppendStatement(conn, batch, w);
    batch += ";\n";
  }
  batch += "COMMIT";
  if (mysql_real_query(conn, batch.data(), batch.size()) != 0) Fail(conn);
  while (NextResult(conn)) {
  }
}

std::exception_ptr MysqlBeginWithWrite(soci::session& session, std::string_view begin, const QueuedWrite& first) {
  MYSQL* conn = Connection(session);
  std::string batch(begin);
  batch += ";\n";
  AppendStatement(conn, batch, first);
  if (mysql_real_query(conn, batch.data(), batch.size()) != 0) Fail(conn);  // the BEGIN failed
  try {
    if (!NextResult(conn)) throw soci::soci_error("MySQL: the write sent with the BEGIN was not run");
    while (NextResult(conn)) {
    }
  } catch (const soci::mysql_soci_error& e) {
    // A deadlock rolls the whole transaction back: nothing is left to go on in, so it throws
    // like a failed BEGIN (Database::Run re-runs the transaction). Any other error ended only
    // the statement (a lock wait timeout too, with innodb_rollback_on_timeout OFF: the no-wait
    // claim is used only then) or the connection (Database::BeginWith throws that).
    if (e.err_num_ == kDeadlock) throw;
    return std::current_exception();
  }
  return nullptr;
}

}  // namespace rihla::storage
