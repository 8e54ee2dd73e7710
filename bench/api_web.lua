-- wrk script for the send-message benchmarks (smsgate's api_web and Kannel's sendsms).
--
--   wrk -t1 -c50 -d10s --latency -s bench/api_web.lua http://127.0.0.1:PORT -- \
--       PREFIX SUFFIX OK_PREFIX NONCE [MAX_PER_THREAD IDLE_PATH IDLE_BODY [STOP_FILE]]
--
-- Each request is `GET PREFIX .. phone .. SUFFIX` over keep-alive HTTP/1.1, with a phone
-- number distinct per request, written as WhatCounts' clients write US numbers: "1", an area
-- code of its own for each (NONCE block, thread) pair (300-399 for NONCE 100, 400-499 for 200;
-- the first digit is never 0 or 1, as in the NANP), and a counter of 7 digits: 11 digits in
-- all, such as 13000000001. (Until 2026-12-06 the numbers were "1" .. NONCE .. thread ..
-- counter, 13 digits: no number of any country, which the gateway normalises through
-- libphonenumber at ~35 us a number instead of its fast path for NANP numbers.)
-- Bodies starting with OK_PREFIX count as ok, others as other.
--
-- wrk runs for a duration; it cannot stop after a number of requests. With MAX_PER_THREAD > 0
-- a thread sends at most that many message requests: after that it sends IDLE_PATH instead
-- (a cheap page that creates no message, whose body starts with IDLE_BODY and is counted
-- apart), and it stops itself once every message request has been answered. So a bounded run
-- sends exactly threads * MAX_PER_THREAD messages and loses no answer to the stop. A thread
-- that stops appends a line to STOP_FILE, if given: wrk itself sleeps until the duration is
-- over, so bench.run interrupts it (SIGINT: wrk then reports as usual) once every thread has.
--
-- done() prints one line: `BENCH_JSON {...}` with the counts and latency percentiles (µs).

local threads = {}
local next_tid = 0

function setup(thread)
   thread:set("tid", next_tid)
   next_tid = next_tid + 1
   table.insert(threads, thread)
end

local prefix, suffix, ok, okn, nonce
local max, idle_path, idle, idlen, stop_file = 0, nil, nil, 0, nil
local stopped = false
local base = 0
local sent = 0
local verify_pending = false -- wrk calls request() once in thread 0 before the run, to check it

-- counters read by done() through thread:get()
ok_count = 0
other_count = 0
idle_count = 0
other_sample = ""

function init(args)
   -- args[0] is the URL; the script's own arguments follow it.
   prefix, suffix, ok = args[1], args[2], args[3]
   nonce = tonumber(args[4]) % 1000
   okn = #ok
   if args[5] then max = tonumber(args[5]) end
   if max > 0 then
      idle_path, idle, stop_file = args[6], args[7], args[8]
      idlen = #idle
   end
   base = (200 + (math.floor(nonce / 100) * 100 + tid) % 800) * 10000000
   verify_pending = tid == 0
end

function request()
   if max > 0 and sent >= max then
      return wrk.format("GET", idle_path)
   end
   local req = wrk.format("GET", prefix .. string.format("1%010d", base + sent + 1) .. suffix)
   if verify_pending then
      verify_pending = false -- that request is not sent: do not count it
   else
      sent = sent + 1
   end
   return req
end

function response(status, headers, body)
   if string.sub(body, 1, okn) == ok then
      ok_count = ok_count + 1
   elseif idlen > 0 and string.sub(body, 1, idlen) == idle then
      idle_count = idle_count + 1
      return
   else
      other_count = other_count + 1
      if other_sample == "" then other_sample = string.sub(body, 1, 200) end
   end
   if max > 0 and not stopped and ok_count + other_count >= max then
      stopped = true
      wrk.thread:stop()
      if stop_file then
         local f = io.open(stop_file, "a")
         f:write("stopped\n")
         f:close()
      end
   end
end

local function quote(s)
   s = string.gsub(s, '[%c"\\]', function(c) return string.format("\\u%04x", string.byte(c)) end)
   return '"' .. s .. '"'
end

function done(summary, latency, requests)
   local okc, otherc, idlec, sample = 0, 0, 0, ""
   for _, thread in ipairs(threads) do
      okc = okc + thread:get("ok_count")
      otherc = otherc + thread:get("other_count")
      idlec = idlec + thread:get("idle_count")
      local s = thread:get("other_sample")
      if sample == "" and s ~= nil then sample = s end
   end
   local e = summary.errors
   local parts = {
      string.format('"duration_us":%d', summary.duration),
      string.format('"requests":%d', summary.requests),
      string.format('"bytes":%d', summary.bytes),
      string.format('"ok":%d', okc),
      string.format('"other":%d', otherc),
      string.format('"idle":%d', idlec),
      '"other_sample":' .. quote(sample),
      string.format(
         '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}',
         e.connect, e.read, e.write, e.status, e.timeout),
      string.format('"latency_us":{"min":%d,"mean":%.1f,"stdev":%.1f,"max":%d,'
         .. '"p50":%d,"p90":%d,"p99":%d,"p999":%d}',
         latency.min, latency.mean, latency.stdev, latency.max,
         latency:percentile(50), latency:percentile(90), latency:percentile(99),
         latency:percentile(99.9)),
   }
   io.write("BENCH_JSON {" .. table.concat(parts, ",") .. "}\n")
end
