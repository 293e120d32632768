#!/usr/bin/env python3
"""Bulk-loads realistic flights into a migrated, seeded rihla SQLite database (bench/scale.sh).

  load_flights.py sqlite DB TOTAL        insert flights until the table holds TOTAL rows
  load_flights.py csv OUT TOTAL START_MS write TOTAL rows as CSV (for COPY / LOAD DATA on the
                                         server engines), departures from START_MS on

The network is every ordered pair of the seeded airports (49 airports: 2,352 routes), each
served 1-3 times a day (routes between the Gulf hubs RUH, JED, DMM, DXB, DOH, CAI more), economy always, business on 60 % and first on 15 % of
the departures, fares by distance band, seats by cabin; departures from today on, day after day,
until TOTAL rows exist: 1,000,000 flights are about 6 months of this schedule. Deterministic
(seeded), one transaction, executemany: about 10 s for 1M rows.
"""
import csv
import datetime
import random
import sqlite3
import sys

DAY_MS = 86_400_000
CABINS = [("economy", 1.0, 1.0, 150), ("business", 0.60, 3.5, 24), ("first", 0.15, 7.0, 8)]


def rows(airports, start_ms, count, seed=7):
    rng = random.Random(seed)
    routes = [(a, b) for a in airports for b in airports if a != b]
    hubs = {a for a in ("RUH", "JED", "DMM", "DXB", "DOH", "CAI") if a in airports} or set(airports[:6])
    plan = []
    for a, b in routes:
        per_day = 3 if a in hubs and b in hubs else (2 if a in hubs or b in hubs else 1)
        minutes = sorted(rng.sample(range(0, 24 * 60, 5), per_day))
        block = rng.randint(60, 420)  # flight time, minutes
        base = 150 + block * 3 + rng.randint(0, 200)
        number = rng.randint(100, 9999)
        plan.append((a, b, minutes, block, base, number))
    created = start_ms
    n = 0
    day = 0
    while True:
        for a, b, minutes, block, base, number in plan:
            for i, minute in enumerate(minutes):
                dep = start_ms + day * DAY_MS + minute * 60_000
                arr = dep + block * 60_000
                flight_number = f"X{(number + i) % 10000:04d}{a[0]}{b[0]}"
                for cabin, share, fare, seats in CABINS:
                    if rng.random() >= share:
                        continue
                    n += 1
                    price = int(base * fare * (0.8 + 0.4 * rng.random())) * 100
                    sold = rng.randint(0, seats // 2)
                    yield (f"fl_{day:04x}{n:08x}", flight_number, a, b, dep, arr, cabin, price, "SAR", seats,
                           seats - sold, created)
                    if n >= count:
                        return
        day += 1


def today_ms():
    d = datetime.datetime.now(datetime.timezone.utc).date()
    return int(datetime.datetime(d.year, d.month, d.day, tzinfo=datetime.timezone.utc).timestamp() * 1000)


def load_sqlite(db, total):
    con = sqlite3.connect(db)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=OFF")
    have = con.execute("SELECT COUNT(*) FROM flights").fetchone()[0]
    airports = [r[0] for r in con.execute("SELECT code FROM airports ORDER BY code")]
    if not airports:
        sys.exit("no airports: run `rihla seed` first")
    if have >= total:
        print(have)
        return
    # Start after the seeded schedule so that no (flight_number, departure_at, cabin) collides.
    last = con.execute("SELECT COALESCE(MAX(departure_at), 0) FROM flights").fetchone()[0]
    start = max(today_ms(), (last // DAY_MS + 1) * DAY_MS)
    with con:
        con.executemany("INSERT INTO flights (id, flight_number, origin, destination, departure_at, arrival_at, cabin,"
                        " price_minor, currency, seats_total, seats_available, created_at)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows(airports, start, total - have))
    con.execute("ANALYZE")
    print(con.execute("SELECT COUNT(*) FROM flights").fetchone()[0])


def write_csv(out, total, start_ms, airports):
    with open(out, "w", newline="") as f:
        w = csv.writer(f)
        for row in rows(airports, start_ms, total):
            w.writerow(row)


def main():
    if sys.argv[1] == "sqlite":
        load_sqlite(sys.argv[2], int(sys.argv[3]))
    elif sys.argv[1] == "csv":
        airports = sys.argv[5].split(",")
        write_csv(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), airports)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
