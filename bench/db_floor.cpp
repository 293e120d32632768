// bench/db_floor: the booking ceiling of one database engine on this machine, with no HTTP.
//
// Each of N threads (default: as many connections as rihla opens for the engine) holds its own
// session, opened with rihla's own per-session settings (storage::Dialect::open), and runs, in
// a loop, the minimal statement set any correct exactly-once booking needs, in ONE transaction:
//
//   BEGIN (the dialect's: BEGIN IMMEDIATE on SQLite)
//   INSERT the idempotency claim ('started', with a lease)
//   UPDATE flights SET seats_available = seats_available - n WHERE id = ? AND seats_available >= n
//   INSERT the booking, INSERT its passengers (one statement per passenger; default one)
//   UPDATE the idempotency record to 'completed' with the stored response (a ~400-byte body)
//   COMMIT
//
// Every statement is prepared once per session and executed with new bindings. The schema is
// rihla's own (the embedded migrations, applied first). On SQLite, rihla's threads queue for
// the one writer in-process; this does the same (one mutex), so the figure is what one
// writer at a time achieves. SOCI's MySQL backend has no server-side prepare: on MariaDB the
// statements go as text (as rihla's do), so the ceiling there includes the server's parse.
//
//   db_floor --url URL [--connections N] [--seconds S] [--flights F] [--passengers P]
//
// Prints one line `db_floor engine=E connections=N seconds=S bookings=B bookings_per_s=R
// p99_ms=X` (p99 of one transaction, including the wait for SQLite's writer). Exit 0 when every
// booking committed and the seat count matches, 1 otherwise, 2 on bad arguments.
#include <soci/soci.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "observability/logger.hpp"
#include "storage/database.hpp"
#include "storage/database_url.hpp"
#include "storage/migrations.hpp"

namespace {

using namespace rihla;
using Clock = std::chrono::steady_clock;

struct Args {
  std::string url;
  int connections = 0;  // 0: the dialect's default pool size
  double seconds = 10;
  int flights = 100;
  int passengers = 1;
};

[[noreturn]] void Usage(const std::string& why) {
  std::cerr << "db_floor: " << why
            << "\nusage: db_floor --url URL [--connections N] [--seconds S] [--flights F] [--passengers P]\n";
  std::exit(2);
}

Args Parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    if (i + 1 >= argc) Usage("missing value for " + k);
    std::string v = argv[++i];
    try {
      if (k == "--url") a.url = v;
      else if (k == "--connections") a.connections = std::stoi(v);
      else if (k == "--seconds") a.seconds = std::stod(v);
      else if (k == "--flights") a.flights = std::stoi(v);
      else if (k == "--passengers") a.passengers = std::stoi(v);
      else Usage("unknown option " + k);
    } catch (const std::logic_error&) {
      Usage("bad value for " + k);
    }
  }
  if (a.url.empty()) Usage("--url is required");
  if (a.connections < 0 || a.connections > 1024 || a.seconds <= 0 || a.flights < 1 || a.passengers < 1 ||
      a.passengers > 9) {
    Usage("an option is out of range");
  }
  return a;
}

// The response rihla stores for a 201 booking, about this size.
std::string ResponseBody(const std::string& booking_id, const std::string& flight_id) {
  return R"({"id":")" + booking_id + R"(","flight_id":")" + flight_id +
         R"(","status":"pending_payment","passengers":[{"given_name":"Bench","family_name":"Floor"}],)"
         R"("total":{"amount":"250.00","currency":"SAR"},"created_at":"2026-01-01T00:00:00.000Z",)"
         R"("expires_at":"2026-01-01T00:15:00.000Z","correlation_id":"0123456789abcdef0123456789abcdef"})";
}

// Inserts the run's user, airports and flights (ids prefixed with `run`). Returns the flight ids.
std::vector<std::string> Seed(storage::Database& db, const std::string& run, int flights, long long seats) {
  std::vector<std::string> ids;
  db.Write([&](storage::Tx& tx) {
    long long now = 1700000000000LL;
    int exists = 0;
    tx.sql << "SELECT COUNT(*) FROM airports WHERE code = 'DFA'", soci::into(exists);
    if (exists == 0) {
      tx.sql << "INSERT INTO airports (code, name, city, country) VALUES ('DFA', 'Floor A', 'A', 'SA')";
      tx.sql << "INSERT INTO airports (code, name, city, country) VALUES ('DFB', 'Floor B', 'B', 'SA')";
    }
    std::string user = "usr_" + run;
    std::string email = run + "@db-floor.invalid";
    tx.sql << "INSERT INTO users (id, email, email_normalized, password_hash, created_at) VALUES (:i, :e, :n, 'x', :c)",
        soci::use(user), soci::use(email), soci::use(email), soci::use(now);
    for (int f = 0; f < flights; ++f) {
      std::string id = "fl_" + run + "_" + std::to_string(f);
      std::string number = "F" + std::to_string(f);
      long long dep = now + 86400000LL + f * 60000LL, arr = dep + 3600000LL;
      tx.sql << "INSERT INTO flights (id, flight_number, origin, destination, departure_at, arrival_at, cabin,"
                " price_minor, currency, seats_total, seats_available, created_at)"
                " VALUES (:i, :n, 'DFA', 'DFB', :d, :a, 'economy', 25000, 'SAR', :t, :s, :c)",
          soci::use(id), soci::use(number), soci::use(dep), soci::use(arr), soci::use(seats), soci::use(seats),
          soci::use(now);
      ids.push_back(id);
    }
  });
  return ids;
}

struct WorkerResult {
  long long bookings = 0;
  long long sold_out = 0;
  std::vector<double> latencies_ms;
  std::string error;
};

// One connection's loop: prepared statements, one transaction per booking, until `stop`.
void Worker(const storage::Dialect& dialect, const std::string& connect, const std::string& run, int worker,
            const std::vector<std::string>& flights, int passengers, std::mutex* writer, std::atomic<bool>& stop,
            WorkerResult& out) {
  try {
    soci::session sql;
    dialect.open(sql, connect, storage::SessionTimeouts{std::chrono::seconds(5), std::chrono::seconds(30)});

    // Bound variables: set before each execute.
    std::string rec_id, key, lease = "0123456789abcdef0123456789abcdef", fingerprint(64, 'f'), flight, booking_id,
                                 body, scope = "POST /v1/bookings", principal = "user:usr_" + run,
                                 user = "usr_" + run, status = "pending_payment", currency = "SAR";
    long long locked_until = 0, created = 0, expires = 0, total = 25000LL * passengers, completed = 0;
    int seats = passengers, http_status = 201;
    std::string p_given = "Bench", p_family = "Floor";
    int p_seq = 0;

    soci::statement begin = (sql.prepare << std::string(dialect.begin));
    soci::statement commit = (sql.prepare << "COMMIT");
    soci::statement rollback = (sql.prepare << "ROLLBACK");
    soci::statement claim =
        (sql.prepare << "INSERT INTO idempotency_records (id, scope, principal, idem_key, fingerprint, state,"
                        " lease_token, locked_until, created_at, expires_at)"
                        " VALUES (:id, :s, :p, :k, :f, 'started', :lt, :lu, :c, :e)",
         soci::use(rec_id), soci::use(scope), soci::use(principal), soci::use(key), soci::use(fingerprint),
         soci::use(lease), soci::use(locked_until), soci::use(created), soci::use(expires));
    soci::statement hold = (sql.prepare << "UPDATE flights SET seats_available = seats_available - :n"
                                           " WHERE id = :id AND seats_available >= :n2",
                            soci::use(seats), soci::use(flight), soci::use(seats));
    soci::statement insert_booking =
        (sql.prepare << "INSERT INTO bookings (id, user_id, flight_id, status, seats, total_minor, currency,"
                        " created_at, expires_at, updated_at) VALUES (:id, :u, :f, :s, :n, :t, :c, :ca, :ea, :ua)",
         soci::use(booking_id), soci::use(user), soci::use(flight), soci::use(status), soci::use(seats),
         soci::use(total), soci::use(currency), soci::use(created), soci::use(expires), soci::use(created));
    // One row per execution: SOCI's PostgreSQL and MySQL backends do not re-read a bound vector
    // on re-execution. With the default one passenger it is the same one round trip as rihla's
    // bulk insert.
    soci::statement insert_passengers =
        (sql.prepare << "INSERT INTO passengers (booking_id, seq, given_name, family_name) VALUES (:b, :s, :g, :f)",
         soci::use(booking_id), soci::use(p_seq), soci::use(p_given), soci::use(p_family));
    soci::statement complete =
        (sql.prepare << "UPDATE idempotency_records SET state = 'completed', response_status = :st,"
                        " response_body = :b, changed_scope = 'DFA-DFB', completed_at = :ca, locked_until = 0"
                        " WHERE id = :id AND state = 'started' AND lease_token = :lt",
         soci::use(http_status), soci::use(body), soci::use(completed), soci::use(rec_id), soci::use(lease));

    for (long long n = 0; !stop.load(std::memory_order_relaxed); ++n) {
      std::string suffix = run + "_" + std::to_string(worker) + "_" + std::to_string(n);
      rec_id = "idr_" + suffix;
      key = "key_" + suffix;
      booking_id = "bk_" + suffix;
      flight = flights[static_cast<std::size_t>(worker + n * 7) % flights.size()];
      body = ResponseBody(booking_id, flight);
      auto t0 = Clock::now();
      long long now_ms =
          std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
              .count();
      created = completed = now_ms;
      locked_until = now_ms + 30000;
      expires = now_ms + 900000;

      std::unique_lock<std::mutex> lock;
      if (writer != nullptr) lock = std::unique_lock(*writer);
      begin.execute(true);
      try {
        claim.execute(true);
        hold.execute(true);
        if (hold.get_affected_rows() != 1) {
          rollback.execute(true);
          ++out.sold_out;
          continue;
        }
        insert_booking.execute(true);
        for (p_seq = 0; p_seq < passengers; ++p_seq) insert_passengers.execute(true);
        complete.execute(true);
        if (complete.get_affected_rows() != 1) throw std::runtime_error("the record was not completed");
        commit.execute(true);
      } catch (...) {
        try {
          rollback.execute(true);
        } catch (...) {
        }
        throw;
      }
      if (lock.owns_lock()) lock.unlock();
      out.latencies_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
      ++out.bookings;
    }
  } catch (const std::exception& e) {
    out.error = e.what();
    stop = true;
  }
}

}  // namespace

int main(int argc, char** argv) {
  Args args = Parse(argc, argv);
  storage::DatabaseUrl url;
  try {
    url = storage::ParseDatabaseUrl(args.url);
  } catch (const std::invalid_argument& e) {
    Usage(e.what());
  }
  const storage::Dialect& dialect = storage::DialectOf(url.engine);
  int connections = args.connections > 0 ? args.connections : static_cast<int>(dialect.default_pool_size);
  std::string connect = url.connect_string;
  std::string run = std::to_string(std::chrono::system_clock::now().time_since_epoch().count() % 100000000000LL);

  const long long kSeats = 100000000;  // per flight: never sells out within a run
  std::vector<std::string> flights;
  {
    storage::Database db(url, storage::DatabaseOptions{.pool_size = 1});
    Logger logger(LogLevel::kWarn);
    storage::ApplyMigrations(db, logger);
    flights = Seed(db, run, args.flights, kSeats);
  }

  std::mutex writer;
  std::atomic<bool> stop{false};
  std::vector<WorkerResult> results(static_cast<std::size_t>(connections));
  std::vector<std::thread> threads;
  auto t0 = Clock::now();
  for (int w = 0; w < connections; ++w) {
    threads.emplace_back(Worker, std::cref(dialect), std::cref(connect), std::cref(run), w, std::cref(flights),
                         args.passengers, dialect.single_writer ? &writer : nullptr, std::ref(stop),
                         std::ref(results[static_cast<std::size_t>(w)]));
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(args.seconds));  // the measured window
  stop = true;
  for (auto& t : threads) t.join();
  double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();

  long long bookings = 0, sold_out = 0;
  std::vector<double> lat;
  int rc = 0;
  for (auto& r : results) {
    bookings += r.bookings;
    sold_out += r.sold_out;
    lat.insert(lat.end(), r.latencies_ms.begin(), r.latencies_ms.end());
    if (!r.error.empty()) {
      std::cerr << "db_floor: a worker failed: " << r.error << "\n";
      rc = 1;
    }
  }
  std::sort(lat.begin(), lat.end());
  double p99 = lat.empty() ? 0 : lat[std::min(lat.size() - 1, static_cast<std::size_t>(lat.size() * 0.99))];

  // Correctness: every committed booking took its seats, nothing else did.
  long long left = 0, booked_rows = 0;
  {
    storage::Database db(url, storage::DatabaseOptions{.pool_size = 1});
    std::string like = "fl_" + run + "_%";
    std::string user = "usr_" + run;
    db.Read([&](storage::Tx& tx) {
      tx.sql << "SELECT SUM(seats_available) FROM flights WHERE id LIKE :l", soci::use(like), soci::into(left);
      tx.sql << "SELECT COUNT(*) FROM bookings WHERE user_id = :u", soci::use(user), soci::into(booked_rows);
    });
  }
  long long taken = kSeats * static_cast<long long>(flights.size()) - left;
  if (sold_out != 0 || booked_rows != bookings || taken != bookings * args.passengers) {
    std::cerr << "db_floor: mismatch: " << bookings << " bookings committed, " << booked_rows << " rows, " << taken
              << " seats taken, " << sold_out << " sold out\n";
    rc = 1;
  }
  std::printf("db_floor engine=%s connections=%d seconds=%.2f bookings=%lld bookings_per_s=%.1f p99_ms=%.2f\n",
              std::string(dialect.name).c_str(), connections, elapsed, bookings, bookings / elapsed, p99);
  return rc;
}
