#!/usr/bin/env python3
"""The login-storm figure of API.md ("200 concurrent logins may slow or shed logins, never the
rest"), for bench/login_storm.sh.

  login_storm.py BASE ADMIN_TOKEN LOGINS ROUNDS

Signs up a user, creates a flight, then releases LOGINS concurrent logins (threads, one
connection each, started together by a barrier) while one client runs search + booking pairs:
searches on a different date each round (cache misses that need a database worker) and fresh-key
bookings, until the storm is over and at least ROUNDS pairs ran. Prints one JSON object: logins
ok/shed/other, pairs, pairs_failed, slowest_pair_ms, p99_pair_ms.
"""
import datetime
import json
import sys
import threading
import time

from api import Client


def main():
    base, admin, logins, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    setup = Client(base)
    email = f"storm-{int(time.time() * 1000)}@example.com"
    _, r = setup.call("POST", "/v1/auth/signup", {"email": email, "password": "bench-password"})
    token = r["token"]
    day = (datetime.date.today() + datetime.timedelta(days=200)).isoformat()
    _, f = setup.call("POST", "/v1/admin/flights", {
        "flight_number": "LS1001", "from": "RUH", "to": "DXB",
        "departure_time": f"{day}T10:00:00Z", "arrival_time": f"{day}T12:00:00Z",
        "cabin": "economy", "price": {"amount": "100.00", "currency": "SAR"}, "seats_total": 1000,
    }, {"Authorization": f"Bearer {admin}"})
    flight = f["id"]

    storm_over = threading.Event()
    pairs = []
    failed = [0]

    def others():
        c = Client(base)
        i = 0
        while not storm_over.is_set() or i < rounds:
            date = (datetime.date.today() + datetime.timedelta(days=1 + i % 30)).isoformat()
            t0 = time.monotonic()
            s, _ = c.call("GET", f"/v1/flights/search?from=RUH&to=DXB&date={date}", ok=(200, 599))
            b, _ = c.call("POST", "/v1/bookings", {
                "flight_id": flight, "passengers": [{"given_name": "Storm", "family_name": "Test"}],
            }, {"Authorization": f"Bearer {token}", "Idempotency-Key": f"storm-{i}"}, ok=(200, 599))
            pairs.append((time.monotonic() - t0) * 1000)
            failed[0] += s != 200 or b != 201
            i += 1

    results = [0] * logins
    barrier = threading.Barrier(logins)

    def login(n):
        c = Client(base)
        barrier.wait()
        results[n], _ = c.call("POST", "/v1/auth/login", {"email": email, "password": "bench-password"},
                               ok=(200, 599))

    other = threading.Thread(target=others)
    other.start()
    storm = [threading.Thread(target=login, args=(n,)) for n in range(logins)]
    for t in storm:
        t.start()
    for t in storm:
        t.join()
    storm_over.set()
    other.join()
    ordered = sorted(pairs)
    print(json.dumps({
        "logins": logins,
        "logins_ok": results.count(200),
        "logins_shed": results.count(503),
        "logins_other": logins - results.count(200) - results.count(503),
        "pairs": len(pairs),
        "pairs_failed": failed[0],
        "slowest_pair_ms": round(ordered[-1], 1),
        "p99_pair_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 1),
    }))


if __name__ == "__main__":
    main()
