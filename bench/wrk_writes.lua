-- wrk script of bench/writes.py: POSTs, each with a body and an Idempotency-Key of its own.
--
--   BENCH_TOKEN=<jwt> BENCH_RUN=<unique word> [BENCH_KEYED=0] \
--     wrk -t2 -c50 -d15s -s bench/wrk_writes.lua <base> -- <path> <territory>
--
-- Each request creates one account (a dealer in <territory>, named after the run, the thread and
-- a counter) with a new Idempotency-Key; BENCH_KEYED=0 sends none. At the end each thread's
-- totals are summed and printed as one JSON line (prefixed "WRK "), as wrk_requests.lua does.

local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("number", counter)
  table.insert(threads, thread)
end

local token = os.getenv("BENCH_TOKEN") or ""
local run = os.getenv("BENCH_RUN") or "run"
local keyed = os.getenv("BENCH_KEYED") ~= "0"
local path, territory
local sent = 0

function init(args)
  path = args[1]
  territory = args[2]
end

function request()
  sent = sent + 1
  local tag = run .. "-" .. number .. "-" .. sent
  local headers = {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
  }
  if keyed then headers["Idempotency-Key"] = tag end
  local body = '{"kind":"dealer","name":"Bench ' .. tag .. '","territory":"' .. territory ..
    '","status":"active","segment":"fleet","channels":["retail"]}'
  return wrk.format("POST", path, headers, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK {"requests": %d, "duration_us": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, ' ..
    '"max_us": %d, "mean_us": %.1f, "bytes": %d, "connect_errors": %d, "read_errors": %d, ' ..
    '"write_errors": %d, "timeouts": %d, "non_2xx": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, latency.mean, summary.bytes, e.connect, e.read,
    e.write, e.timeout, e.status))
end
