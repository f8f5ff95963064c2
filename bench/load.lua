-- wrk script for bench/load.py: POSTs JSON bodies at a constant rate, open-loop style.
--
-- Run with as many threads as connections (-t N -c N), so each thread's Lua state has exactly
-- one request in flight and a response can be matched to the request it answers. Each
-- connection sends on a fixed schedule (rate / N per second, staggered); when it falls behind,
-- it sends at once and the delay counts in the latency: latency is measured from the time the
-- request was due, not from when it was written, so a slow server cannot hide its queue
-- (no "coordinated omission", as in wrk2). Parameters come from the environment:
--   LOAD_RATE        requests per second over all connections
--   LOAD_CONNECTIONS the -c given to wrk
--   LOAD_BODIES      a file with one JSON body per line, sent in turn
--   LOAD_KEY_EVERY   send an Idempotency-Key (unique) on every k-th request; 0 never
--   LOAD_RUN         a word that makes the keys unique between runs
--   LOAD_OUT         where done() writes statuses, latencies and the ids that each 201 returned

local ffi = require("ffi")
ffi.cdef([[
typedef struct { long tv_sec; long tv_nsec; } load_timespec;
int clock_gettime(int clk_id, load_timespec *tp);
]])
local CLOCK_MONOTONIC = 1
local ts = ffi.new("load_timespec")

local function now_ms()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, ts)
  return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

local threads = {}
local next_id = 1

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  local rate = tonumber(os.getenv("LOAD_RATE"))
  local connections = tonumber(os.getenv("LOAD_CONNECTIONS"))
  interval = connections * 1000 / rate
  offset = (id - 1) * interval / connections
  key_every = tonumber(os.getenv("LOAD_KEY_EVERY") or "0")
  run = os.getenv("LOAD_RUN") or "run"
  bodies = {}
  for line in io.lines(os.getenv("LOAD_BODIES")) do
    bodies[#bodies + 1] = line
  end
  start = nil
  k = 0
  sent = 0
  due = 0
  lat = {}
  statuses = {}
  ids = {}
end

function delay()
  local t = now_ms()
  if start == nil then
    start = t + offset
  end
  local wait = start + k * interval - t
  if wait < 0 then
    return 0
  end
  return wait
end

function request()
  if start == nil then
    start = now_ms() + offset
  end
  due = start + k * interval
  k = k + 1
  sent = sent + 1
  local headers = {
    ["Content-Type"] = "application/json",
    ["Accept"] = "application/json",
    -- As the TLS-terminating proxy in front of gunicorn would say (production redirects http).
    ["X-Forwarded-Proto"] = "https",
  }
  if key_every > 0 and k % key_every == 0 then
    headers["Idempotency-Key"] = run .. "-" .. id .. "-" .. k
  end
  return wrk.format("POST", nil, headers, bodies[(id * 7919 + k) % #bodies + 1])
end

function response(status, headers, body)
  lat[#lat + 1] = now_ms() - due
  statuses[status] = (statuses[status] or 0) + 1
  local saved = status == 201 and string.match(body, '"id":%s*(%d+)')
  if saved then
    ids[#ids + 1] = saved
  end
end

function done(summary, latency, requests)
  local out = io.open(os.getenv("LOAD_OUT"), "w")
  for _, thread in ipairs(threads) do
    out:write("sent ", thread:get("sent"), "\n")
    for status, n in pairs(thread:get("statuses")) do
      out:write("status ", status, " ", n, "\n")
    end
    for _, ms in ipairs(thread:get("lat")) do
      out:write(string.format("%.3f\n", ms))
    end
    for _, saved in ipairs(thread:get("ids")) do
      out:write("id ", saved, "\n")
    end
  end
  local e = summary.errors
  out:write("errors ", e.connect, " ", e.read, " ", e.write, " ", e.status, " ", e.timeout, "\n")
  out:write("summary ", summary.duration, " ", summary.requests, "\n")
  out:close()
end
