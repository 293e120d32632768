-- wrk script: POST /v1/bookings, every request with a fresh Idempotency-Key.
-- Key = BENCH_KEY_PREFIX-<thread>-<counter>; flights from BENCH_FLIGHTS (comma-separated ids)
-- are used round-robin so no single flight sells out; the token comes from BENCH_TOKEN.
local next_thread = 0

function setup(thread)
  next_thread = next_thread + 1
  thread:set("tid", next_thread)
end

function init(args)
  local token = os.getenv("BENCH_TOKEN") or error("BENCH_TOKEN is not set")
  prefix = (os.getenv("BENCH_KEY_PREFIX") or "bench") .. "-" .. tostring(tid)
  headers = {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
  }
  bodies = {}
  for id in string.gmatch(os.getenv("BENCH_FLIGHTS") or "", "[^,]+") do
    bodies[#bodies + 1] = '{"flight_id":"' .. id .. '","passengers":[{"given_name":"Bench","family_name":"User"}]}'
  end
  if #bodies == 0 then error("BENCH_FLIGHTS is empty") end
  n = 0
end

function request()
  n = n + 1
  headers["Idempotency-Key"] = prefix .. "-" .. n
  return wrk.format("POST", "/v1/bookings", headers, bodies[(n % #bodies) + 1])
end
