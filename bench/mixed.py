#!/usr/bin/env python3
"""Workload and audit for bench/mixed.sh (loopback only).

  mixed.py workload DB OUT_DIR N_SEARCHES SEED
      Reads the seeded schedule from the SQLite file DB and writes, into OUT_DIR:
        searches.txt  N_SEARCHES search paths, one a line, in request order: routes Zipf (s=1)
                      by a fixed random popularity order, dates concentrated in the next 14 days
                      (geometric, 10 % spread over days 14-29), cabins 80/15/5 economy/business/
                      first, passengers 1 (60 %), 2 (30 %), 3-4 (10 %)
        flights.txt   flight ids drawn with the same skew (route, date, cabin), for bookings
        popular.txt   the 50 most frequent search paths, most frequent first
      Prints the number of distinct search paths.

  mixed.py audit BASE POPULAR_FILE
      For each popular search: GET it (recording X-Cache), then GET /v1/flights/{id} of every
      flight it lists, and compares seats_available and price. Prints one line
      "audited=<searches> hits=<cached answers> flights=<checked> stale=<cached answers that
      disagree with the database> stale_fresh=<uncached answers that disagree>"; details of
      every stale answer go to stderr.
"""
import bisect
import collections
import datetime
import http.client
import json
import random
import sqlite3
import sys
from urllib.parse import urlsplit

CABINS = [("economy", 0.80), ("business", 0.15), ("first", 0.05)]
PASSENGERS = [(1, 0.60), (2, 0.30), (3, 0.06), (4, 0.04)]
HOT_DAYS = 14


def cumulative(weights):
    out, total = [], 0.0
    for w in weights:
        total += w
        out.append(total)
    return [c / total for c in out]


def pick(rng, items, cum):
    return items[bisect.bisect_left(cum, rng.random())]


def workload(db, out_dir, n, seed):
    rng = random.Random(seed)
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    today = datetime.datetime.now(datetime.timezone.utc).date()
    start_ms = int(datetime.datetime(today.year, today.month, today.day, tzinfo=datetime.timezone.utc).timestamp() * 1000)
    day_ms = 86_400_000
    flights = collections.defaultdict(list)  # (from, to, day offset, cabin) -> ids
    for fid, origin, dest, dep, cabin in con.execute(
            "SELECT id, origin, destination, departure_at, cabin FROM flights WHERE departure_at >= ?", (start_ms,)):
        flights[(origin, dest, (dep - start_ms) // day_ms, cabin)].append(fid)
    routes = sorted({(k[0], k[1]) for k in flights})
    if not routes:
        sys.exit("no flights from today on: seed the database first")
    rng.shuffle(routes)  # popularity order: fixed by the seed, not alphabetical
    route_cum = cumulative([1.0 / (i + 1) for i in range(len(routes))])  # Zipf, s = 1
    # 90 %: the next 14 days, geometric (each day 0.85 of the one before); 10 %: days 14-29.
    days = list(range(30))
    day_cum = cumulative([0.9 * 0.85 ** d / sum(0.85 ** x for x in range(HOT_DAYS)) if d < HOT_DAYS else 0.1 / 16
                          for d in days])
    cabin_cum = cumulative([w for _, w in CABINS])
    pax_cum = cumulative([w for _, w in PASSENGERS])

    def draw():
        origin, dest = pick(rng, routes, route_cum)
        day = pick(rng, days, day_cum)
        cabin = pick(rng, [c for c, _ in CABINS], cabin_cum)
        return origin, dest, day, cabin

    searches = []
    counts = collections.Counter()
    for _ in range(n):
        origin, dest, day, cabin = draw()
        pax = pick(rng, [p for p, _ in PASSENGERS], pax_cum)
        date = (today + datetime.timedelta(days=day)).isoformat()
        path = f"/v1/flights/search?from={origin}&to={dest}&date={date}&passengers={pax}&cabin={cabin}"
        searches.append(path)
        counts[path] += 1
    booked = []
    while len(booked) < max(1000, n // 20):
        ids = flights.get(draw())
        if ids:
            booked.append(rng.choice(ids))
    with open(f"{out_dir}/searches.txt", "w") as f:
        f.write("\n".join(searches) + "\n")
    with open(f"{out_dir}/flights.txt", "w") as f:
        f.write("\n".join(booked) + "\n")
    with open(f"{out_dir}/popular.txt", "w") as f:
        f.write("\n".join(p for p, _ in counts.most_common(50)) + "\n")
    print(len(counts))


class Client:
    def __init__(self, base):
        u = urlsplit(base)
        if u.hostname not in ("127.0.0.1", "localhost", "::1"):
            sys.exit("loopback only")
        self.conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)

    def get(self, path):
        self.conn.request("GET", path)
        resp = self.conn.getresponse()
        body = resp.read()
        if resp.status != 200:
            sys.exit(f"GET {path} -> {resp.status}: {body[:300]!r}")
        return resp.getheader("X-Cache", ""), json.loads(body)


def audit(base, popular_file):
    c = Client(base)
    audited = hits = checked = stale = stale_fresh = 0
    with open(popular_file) as f:
        paths = [line.strip() for line in f if line.strip()]
    for path in paths:
        cache, body = c.get(path)
        audited += 1
        hit = cache.upper() == "HIT"
        hits += hit
        wrong = []
        for listed in body["flights"]:
            _, db = c.get(f"/v1/flights/{listed['id']}")
            checked += 1
            if listed["seats_available"] != db["seats_available"] or listed["price"] != db["price"]:
                wrong.append(f"{listed['id']}: search {listed['seats_available']} {listed['price']}, "
                             f"database {db['seats_available']} {db['price']}")
        if wrong:
            if hit:
                stale += 1
            else:
                stale_fresh += 1
            print(f"stale ({cache}) {path}: " + "; ".join(wrong), file=sys.stderr)
    print(f"audited={audited} hits={hits} flights={checked} stale={stale} stale_fresh={stale_fresh}")


def main():
    if sys.argv[1] == "workload":
        workload(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
    elif sys.argv[1] == "audit":
        audit(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
