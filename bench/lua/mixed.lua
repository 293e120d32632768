-- wrk script for bench/mixed.sh: searches from a pre-drawn stream, with one booking every
-- BENCH_BOOK_EVERY requests (0: none) on a flight from BENCH_FLIGHTS_FILE, each with a fresh
-- Idempotency-Key (BENCH_KEY_PREFIX-<thread>-<n>) and 1 passenger (2 every third booking).
--   BENCH_SEARCHES_FILE  one search path a line (bench/mixed.py workload); each thread starts at
--                        its own offset and wraps around
--   BENCH_TOKEN          bearer token for the bookings
-- Answers are told apart by their headers: a search answer carries X-Cache (HIT or MISS), a
-- booking's does not. done() prints one line "MIXED_RESULT {json}" with the counts summed over
-- the threads.
local threads = {}
local next_thread = 0

function setup(thread)
  next_thread = next_thread + 1
  thread:set("tid", next_thread)
  table.insert(threads, thread)
end

local function read_lines(path)
  local out = {}
  local f = io.open(path, "r") or error("cannot open " .. tostring(path))
  for line in f:lines() do
    if #line > 0 then out[#out + 1] = line end
  end
  f:close()
  return out
end

function init(args)
  searches = read_lines(os.getenv("BENCH_SEARCHES_FILE"))
  book_every = tonumber(os.getenv("BENCH_BOOK_EVERY") or "0")
  prefix = (os.getenv("BENCH_KEY_PREFIX") or "mixed") .. "-" .. tostring(tid)
  bodies = {}
  if book_every > 0 then
    for _, id in ipairs(read_lines(os.getenv("BENCH_FLIGHTS_FILE"))) do
      bodies[#bodies + 1] = {
        '{"flight_id":"' .. id .. '","passengers":[{"given_name":"Bench","family_name":"User"}]}',
        '{"flight_id":"' .. id .. '","passengers":[{"given_name":"Bench","family_name":"User"},' ..
          '{"given_name":"Bench","family_name":"Two"}]}',
      }
    end
    book_headers = {
      ["Authorization"] = "Bearer " .. (os.getenv("BENCH_TOKEN") or error("BENCH_TOKEN is not set")),
      ["Content-Type"] = "application/json",
    }
  end
  pos = math.floor((tid - 1) * #searches / 4) -- threads start apart in the stream
  n, bookings_sent = 0, 0
  hits, misses, search_errors = 0, 0, 0
  booked, sold_out, booking_errors = 0, 0, 0
end

function request()
  n = n + 1
  if book_every > 0 and n % book_every == 0 then
    bookings_sent = bookings_sent + 1
    book_headers["Idempotency-Key"] = prefix .. "-" .. n
    local pair = bodies[(bookings_sent * 7919) % #bodies + 1]
    local body = (bookings_sent % 3 == 0) and pair[2] or pair[1]
    return wrk.format("POST", "/v1/bookings", book_headers, body)
  end
  pos = pos % #searches + 1
  return wrk.format("GET", searches[pos])
end

function response(status, headers, body)
  local cache = headers["X-Cache"] or headers["x-cache"]
  if cache ~= nil then
    if status ~= 200 then search_errors = search_errors + 1
    elseif cache == "HIT" then hits = hits + 1
    else misses = misses + 1 end
  elseif status == 201 then
    booked = booked + 1
  elseif status == 409 and string.find(body, "sold-out", 1, true) then
    sold_out = sold_out + 1
  else
    booking_errors = booking_errors + 1
  end
end

function done(summary, latency, requests)
  local t = { hits = 0, misses = 0, search_errors = 0, booked = 0, sold_out = 0, booking_errors = 0 }
  for _, thread in ipairs(threads) do
    for k, _ in pairs(t) do t[k] = t[k] + (thread:get(k) or 0) end
  end
  local parts = {}
  for k, v in pairs(t) do parts[#parts + 1] = '"' .. k .. '":' .. tostring(v) end
  parts[#parts + 1] = '"duration_s":' .. tostring(summary.duration / 1e6)
  parts[#parts + 1] = '"socket_errors":' ..
    tostring(summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout)
  parts[#parts + 1] = '"p99_ms":' .. tostring(latency:percentile(99) / 1000)
  io.write("MIXED_RESULT {" .. table.concat(parts, ",") .. "}\n")
end
