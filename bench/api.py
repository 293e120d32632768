#!/usr/bin/env python3
"""Small loopback HTTP client for bench/booking.sh (rihla and the node baseline share the API).

  api.py signup BASE EMAIL                      -> prints the token
  api.py create-flights BASE ADMIN_TOKEN N SEATS DATE -> prints the flight ids, comma-separated
  api.py seats BASE IDS                         -> prints the sum of seats_available
  api.py book BASES TOKEN IDS N THREADS         -> N one-seat bookings, flights round-robin, from
                                                   THREADS connections spread over BASES (comma-
                                                   separated); prints how many got 201
  api.py wait-seats BASE IDS TARGET TIMEOUT_S   -> polls until the seats sum to TARGET; prints the
                                                   Unix time in ms when they did (exit 1: timeout)
"""
import http.client
import json
import sys
import threading
import time
from urllib.parse import urlsplit


class Client:
    def __init__(self, base):
        u = urlsplit(base)
        if u.hostname not in ("127.0.0.1", "localhost", "::1"):
            sys.exit("loopback only")
        self.conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)

    def call(self, method, path, body=None, headers=None, ok=(200, 299)):
        h = dict(headers or {})
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        self.conn.request(method, path, body=data, headers=h)
        resp = self.conn.getresponse()
        text = resp.read()
        if not ok[0] <= resp.status <= ok[1]:
            sys.exit(f"{method} {path} -> {resp.status}: {text[:300]!r}")
        return resp.status, json.loads(text)


def book(bases, token, ids, n, threads):
    created = [0] * threads

    def worker(t):
        c = Client(bases[t % len(bases)])
        for j in range(t, n, threads):
            status, _ = c.call("POST", "/v1/bookings", {
                "flight_id": ids[j % len(ids)], "passengers": [{"given_name": "Bench", "family_name": "User"}],
            }, {"Authorization": f"Bearer {token}", "Idempotency-Key": f"expiry-{j}"}, ok=(200, 499))
            created[t] += status == 201

    workers = [threading.Thread(target=worker, args=(t,)) for t in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return sum(created)


def wait_seats(c, ids, target, timeout_s):
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        if sum(c.call("GET", f"/v1/flights/{i}")[1]["seats_available"] for i in ids) == target:
            return int(time.time() * 1000)
        time.sleep(0.02)
    return None


def main():
    cmd, base = sys.argv[1], sys.argv[2]
    c = Client(base.split(",")[0])
    if cmd == "signup":
        _, r = c.call("POST", "/v1/auth/signup", {"email": sys.argv[3], "password": "bench-password"})
        print(r["token"])
    elif cmd == "create-flights":
        admin, n, seats, day = sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
        ids = []
        for i in range(n):
            _, r = c.call("POST", "/v1/admin/flights", {
                "flight_number": f"BN{1001 + i}", "from": "RUH", "to": "JED",
                "departure_time": f"{day}T10:00:00Z", "arrival_time": f"{day}T12:00:00Z",
                "cabin": "economy", "price": {"amount": "100.00", "currency": "SAR"}, "seats_total": seats,
            }, {"Authorization": f"Bearer {admin}"})
            ids.append(r["id"])
        print(",".join(ids))
    elif cmd == "seats":
        print(sum(c.call("GET", f"/v1/flights/{i}")[1]["seats_available"] for i in sys.argv[3].split(",")))
    elif cmd == "book":
        print(book(base.split(","), sys.argv[3], sys.argv[4].split(","), int(sys.argv[5]), int(sys.argv[6])))
    elif cmd == "wait-seats":
        done = wait_seats(c, sys.argv[3].split(","), int(sys.argv[4]), float(sys.argv[5]))
        if done is None:
            sys.exit(1)
        print(done)
    else:
        sys.exit(f"unknown command {cmd}")


if __name__ == "__main__":
    main()
