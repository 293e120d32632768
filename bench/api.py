#!/usr/bin/env python3
"""Small loopback HTTP client for bench/booking.sh (rihla and the node baseline share the API).

  api.py signup BASE EMAIL                      -> prints the token
  api.py create-flights BASE ADMIN_TOKEN N SEATS DATE -> prints the flight ids, comma-separated
  api.py seats BASE IDS                         -> prints the sum of seats_available
"""
import http.client
import json
import sys
from urllib.parse import urlsplit


class Client:
    def __init__(self, base):
        u = urlsplit(base)
        if u.hostname not in ("127.0.0.1", "localhost", "::1"):
            sys.exit("loopback only")
        self.conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)

    def call(self, method, path, body=None, headers=None):
        h = dict(headers or {})
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        self.conn.request(method, path, body=data, headers=h)
        resp = self.conn.getresponse()
        text = resp.read()
        if resp.status >= 300:
            sys.exit(f"{method} {path} -> {resp.status}: {text[:300]!r}")
        return json.loads(text)


def main():
    cmd, base = sys.argv[1], sys.argv[2]
    c = Client(base)
    if cmd == "signup":
        r = c.call("POST", "/v1/auth/signup", {"email": sys.argv[3], "password": "bench-password"})
        print(r["token"])
    elif cmd == "create-flights":
        admin, n, seats, day = sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
        ids = []
        for i in range(n):
            r = c.call("POST", "/v1/admin/flights", {
                "flight_number": f"BN{1001 + i}", "from": "RUH", "to": "JED",
                "departure_time": f"{day}T10:00:00Z", "arrival_time": f"{day}T12:00:00Z",
                "cabin": "economy", "price": {"amount": "100.00", "currency": "SAR"}, "seats_total": seats,
            }, {"Authorization": f"Bearer {admin}"})
            ids.append(r["id"])
        print(",".join(ids))
    elif cmd == "seats":
        print(sum(c.call("GET", f"/v1/flights/{i}")["seats_available"] for i in sys.argv[3].split(",")))
    else:
        sys.exit(f"unknown command {cmd}")


if __name__ == "__main__":
    main()
