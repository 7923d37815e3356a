-- wrk script of bench/accounts.py: random requests from a file, optionally paced (open loop).
--
--   [BENCH_RATE_PER_THREAD=100] wrk -t2 -c50 -d15s -s bench/wrk_requests.lua <base> -- <requests file>
--
-- The requests file has one request a line: "<path>\t<bearer token or ->\t<accept-encoding or ->".
-- Each thread reads it once and sends its lines in random order.
--
-- With BENCH_RATE_PER_THREAD set, the script paces the thread (wrk2-style open loop with plain wrk): the thread keeps
-- one schedule, a slot every 1/rate s, and each connection, before each request, takes the next
-- free slot and waits for it (wrk's delay()). Latency is timed by wrk from the moment the request
-- is written. As long as enough connections are idle (50 connections at 200 req/s: up to 250 ms
-- of answers in flight), a slow answer does not delay the requests scheduled after it, so the
-- latency is what a client arriving at that rate sees; past that, requests wait for a free
-- connection and the figure understates the wait (coordinated omission).
-- At the end each thread's totals are summed and printed as one JSON line (prefixed "WRK ").

local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
  int clock_gettime(int clock_id, bench_timespec *tp);
]]
local timespec = ffi.new("bench_timespec")
local function now_ms()
  ffi.C.clock_gettime(1, timespec) -- CLOCK_MONOTONIC
  return tonumber(timespec.tv_sec) * 1000 + tonumber(timespec.tv_nsec) / 1e6
end

local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("number", counter)
  table.insert(threads, thread)
end

local requests = {}
local rate = tonumber(os.getenv("BENCH_RATE_PER_THREAD") or "0") or 0
local next_at = nil

function init(args)
  math.randomseed(number * 7919 + os.time())
  for line in io.lines(args[1]) do
    local path, token, encoding = line:match("^([^\t]+)\t([^\t]+)\t([^\t]+)$")
    local headers = {}
    if token ~= "-" then headers["Authorization"] = "Bearer " .. token end
    if encoding ~= "-" then headers["Accept-Encoding"] = encoding end
    table.insert(requests, wrk.format("GET", path, headers))
  end
end

function request()
  return requests[math.random(#requests)]
end

-- wrk calls delay() before every request only when the script defines it (decided when the
-- script is loaded, hence the environment variable): closed-loop runs pay nothing for it.
if rate > 0 then
  local interval_ms = 1000 / rate
  function delay()
    local now = now_ms()
    if next_at == nil then next_at = now end
    local slot = next_at
    next_at = next_at + interval_ms
    if slot <= now then return 0 end
    return math.floor(slot - now + 0.5)
  end
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
