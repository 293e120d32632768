#include "storage/commit_writes.hpp"

#include <soci/soci.h>

#include "storage/statement.hpp"

namespace rihla::storage {

void ExecuteAtCommit(Tx& tx, std::string query, std::vector<SqlValue> values) {
  QueuedWrite write{std::move(query), std::move(values)};
  if (tx.queued_writes != nullptr) {
    tx.queued_writes->push_back(std::move(write));
    return;
  }
  ExecuteWrite(tx, write);
}

void ExecuteWrite(Tx& tx, const QueuedWrite& write) {
  // A NULL is bound as an empty string with a null indicator; the indicators live until the
  // statement is done.
  static const std::string kNullText;
  const std::vector<SqlValue>& values = write.values;
  std::vector<soci::indicator> null_indicators(values.size(), soci::i_null);
  Statement st(tx, write.query, Statement::kDeferBind);
  for (std::size_t i = 0; i < values.size(); ++i) {
    const SqlValue& v = values[i];
    if (const auto* text = std::get_if<std::string>(&v)) {
      st->exchange(soci::use(*text));
    } else if (const auto* number = std::get_if<long long>(&v)) {
      st->exchange(soci::use(*number));
    } else {
      st->exchange(soci::use(kNullText, null_indicators[i]));
    }
  }
  st.Bind();
  st->execute(true);
}

SqlValue TextOrNull(const std::string& text) { return text.empty() ? SqlValue() : SqlValue(text); }

}  // namespace rihla::storage
