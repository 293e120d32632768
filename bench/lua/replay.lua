-- wrk script: POST /v1/bookings repeating one request (same Idempotency-Key and body), so every
-- response is a replay of the stored first response.
function init(args)
  local token = os.getenv("BENCH_TOKEN") or error("BENCH_TOKEN is not set")
  req = wrk.format("POST", "/v1/bookings", {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = os.getenv("BENCH_REPLAY_KEY") or error("BENCH_REPLAY_KEY is not set"),
  }, os.getenv("BENCH_REPLAY_BODY") or error("BENCH_REPLAY_BODY is not set"))
end

function request()
  return req
end
