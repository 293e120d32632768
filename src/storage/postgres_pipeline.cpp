#include "storage/postgres_pipeline.hpp"

#include <libpq-fe.h>
#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>

#include <optional>
#include <unordered_map>
#include <vector>

#include "storage/commit_writes.hpp"
#include "storage/placeholders.hpp"
#include "storage/statement_cache.hpp"

namespace rihla::storage {
namespace {

constexpr const char* kCommit = "COMMIT";
constexpr const char* kConnectionFailure = "08006";

// The error of `conn` as SOCI would report it: a lost connection as 08006 so that it is
// classified as one.
[[noreturn]] void Fail(PGconn* conn, const std::string& what, const char* sqlstate = nullptr) {
  std::string message = what + ": " + PQerrorMessage(conn);
  const char* state = sqlstate != nullptr ? sqlstate : PQstatus(conn) == CONNECTION_BAD ? kConnectionFailure : "XX000";
  throw soci::postgresql_soci_error(message, state);
}

// One message of the pipeline whose result is read back, in order.
struct Sent {
  const std::string* prepares = nullptr;  // a Parse of this query under `name`, else an execution
  std::string name;
};

// The text form of the values of one write: pointers into `values` and into `numbers`, which
// must outlive the send.
std::vector<const char*> TextValues(const std::vector<SqlValue>& values, std::vector<std::string>& numbers) {
  numbers.reserve(values.size());  // no reallocation: the pointers stay valid
  std::vector<const char*> out;
  out.reserve(values.size());
  for (const SqlValue& v : values) {
    if (const auto* text = std::get_if<std::string>(&v)) {
      out.push_back(text->c_str());
    } else if (const auto* number = std::get_if<long long>(&v)) {
      numbers.push_back(std::to_string(*number));
      out.push_back(numbers.back().c_str());
    } else {
      out.push_back(nullptr);  // NULL
    }
  }
  return out;
}

}  // namespace

std::string PositionalPlaceholders(std::string_view query) {
  return ReplacePlaceholders(query, [](std::string& out, int index) { out += "$" + std::to_string(index + 1); });
}

void PostgresCommitWithWrites(soci::session& session, StatementCache& statements, std::span<const QueuedWrite> writes) {
  // static_cast: this dialect's sessions are PostgreSQL ones.
  PGconn* conn = static_cast<soci::postgresql_session_backend*>(session.get_backend())->conn_;
  if (PQenterPipelineMode(conn) != 1) Fail(conn, "cannot enter pipeline mode");

  std::vector<Sent> sent;
  sent.reserve(writes.size() * 2 + 1);
  std::unordered_map<std::string, std::string> parsed_here;  // prepared earlier in this pipeline
  for (const QueuedWrite& w : writes) {
    std::vector<std::string> numbers;
    std::vector<const char*> values = TextValues(w.values, numbers);
    const int n = static_cast<int>(values.size());
    const std::string* name = statements.PreparedName(w.query);
    if (name == nullptr) {
      if (auto it = parsed_here.find(w.query); it != parsed_here.end()) name = &it->second;
    }
    if (name == nullptr) {
      std::string positional = PositionalPlaceholders(w.query);
      if (std::optional<std::string> fresh = statements.NewName()) {
        if (PQsendPrepare(conn, fresh->c_str(), positional.c_str(), n, nullptr) != 1) Fail(conn, "pipelined prepare");
        sent.push_back(Sent{&w.query, *fresh});
        name = &parsed_here.emplace(w.query, std::move(*fresh)).first->second;
      } else {
        if (PQsendQueryParams(conn, positional.c_str(), n, nullptr, values.data(), nullptr, nullptr, 0) != 1) {
          Fail(conn, "pipelined statement");
        }
        sent.push_back(Sent{});
        continue;
      }
    }
    if (PQsendQueryPrepared(conn, name->c_str(), n, values.data(), nullptr, nullptr, 0) != 1) {
      Fail(conn, "pipelined statement");
    }
    sent.push_back(Sent{});
  }
  if (PQsendQueryParams(conn, kCommit, 0, nullptr, nullptr, nullptr, nullptr, 0) != 1) Fail(conn, "pipelined COMMIT");
  sent.push_back(Sent{});
  if (PQpipelineSync(conn) != 1) Fail(conn, "pipeline sync");

  // One result per message, each followed by a null pointer, then the sync point. After an
  // error the server skips to the sync: those messages answer PGRES_PIPELINE_ABORTED.
  std::optional<std::string> error, error_state;
  for (const Sent& s : sent) {
    PGresult* result = PQgetResult(conn);
    if (result == nullptr) Fail(conn, "pipeline ended early", kConnectionFailure);
    ExecStatusType status = PQresultStatus(result);
    if (status == PGRES_COMMAND_OK && s.prepares != nullptr) statements.RememberPrepared(*s.prepares, s.name);
    if (status == PGRES_FATAL_ERROR && !error) {
      const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
      error = PQresultErrorMessage(result);
      error_state = state != nullptr ? state : PQstatus(conn) == CONNECTION_BAD ? kConnectionFailure : "XX000";
    }
    PQclear(result);
    if (PGresult* extra = PQgetResult(conn); extra != nullptr) {
      PQclear(extra);
      Fail(conn, "pipeline: more than one result for a statement", kConnectionFailure);
    }
  }
  PGresult* sync = PQgetResult(conn);
  bool synced = sync != nullptr && PQresultStatus(sync) == PGRES_PIPELINE_SYNC;
  PQclear(sync);
  if (!synced) Fail(conn, "pipeline: no sync point", kConnectionFailure);
  // Every result is read, so this cannot fail on a healthy connection; if it does, the session
  // is dropped, and a COMMIT that did succeed is ambiguous to the caller exactly as a connection
  // lost after COMMIT is (the idempotency record answers the retry).
  if (PQexitPipelineMode(conn) != 1) Fail(conn, "cannot leave pipeline mode", kConnectionFailure);
  if (error) throw soci::postgresql_soci_error(*error, error_state->c_str());
}

}  // namespace rihla::storage
