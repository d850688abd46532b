-- wrk script: POST the same body on every request and print the latency
-- percentiles as one JSON line at the end (read by Benchmarks/serve_bench.py).
-- Usage: wrk -s post_body.lua URL -- BODY_FILE CONTENT_TYPE
-- Without arguments: wrk's own GET, with the same summary line.
local body_file, content_type

function init(args)
  body_file = args[1]
  if body_file == nil then return end
  content_type = args[2] or "application/octet-stream"
  local f = assert(io.open(body_file, "rb"))
  wrk.method = "POST"
  wrk.body = f:read("*a")
  f:close()
  wrk.headers["Content-Type"] = content_type
end

function done(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout + summary.errors.status
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "errors": %d, "non_200": %d, ' ..
    '"p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, "mean_us": %.1f}\n',
    summary.requests, summary.duration, errors, summary.errors.status,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
