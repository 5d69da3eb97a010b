-- wrk script for the gateway bench: POSTs one JSON-RPC call (WRK_BODY, default `heights`) and,
-- when WRK_RATE is set, paces requests open-loop at that many per second for the whole thread:
-- each request takes the next slot on a fixed schedule (CLOCK_MONOTONIC through LuaJIT's ffi), so
-- a slow answer does not lower the offered rate. Latency is measured by wrk from the moment the
-- request is written; at rates far below saturation a request is almost never behind its slot.
-- Prints one line `WRKJSON {…}` at the end for the bench to parse (non2xx counts statuses ≥ 400).
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } wrk_timespec;
int clock_gettime(int clk_id, wrk_timespec *tp);
]]
local ts = ffi.new("wrk_timespec")
local function now_ms()
  ffi.C.clock_gettime(1, ts)
  return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

wrk.method = "POST"
wrk.body = os.getenv("WRK_BODY") or '{"jsonrpc":"2.0","id":1,"method":"heights"}'
wrk.headers["Content-Type"] = "application/json"
local key = os.getenv("WRK_API_KEY")
if key and key ~= "" then wrk.headers["X-API-Key"] = key end

local rate = tonumber(os.getenv("WRK_RATE") or "0")
if rate > 0 then
  local interval = 1000 / rate
  local nextSlot = nil
  function delay()
    local now = now_ms()
    if nextSlot == nil or nextSlot < now - 1000 then nextSlot = now end
    nextSlot = nextSlot + interval
    local d = nextSlot - now
    if d < 0 then return 0 end
    return math.floor(d)
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"durationUs":%d,"p50Us":%d,"p90Us":%d,"p99Us":%d,"p999Us":%d,"maxUs":%d,"meanUs":%.1f,"non2xx":%d,"socketErrors":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max, latency.mean, e.status, e.connect + e.read + e.write + e.timeout))
end
