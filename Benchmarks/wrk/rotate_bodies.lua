-- wrk script: POST a rotating list of bodies (one file each) to one path and
-- print the counts as one JSON line at the end (read by Benchmarks/soak.py).
-- Usage: wrk -s rotate_bodies.lua URL -- CONTENT_TYPE FILE...
local bodies, content_type, n = {}, "application/json", 0

function init(args)
  content_type = args[1]
  for i = 2, #args do
    local f = assert(io.open(args[i], "rb"))
    bodies[#bodies + 1] = f:read("*a")
    f:close()
  end
end

function request()
  n = n % #bodies + 1
  return wrk.format("POST", nil, {["Content-Type"] = content_type}, bodies[n])
end

function done(summary, latency, requests)
  io.write(string.format(
    'WRK_JSON {"requests": %d, "connect": %d, "read": %d, "write": %d, "timeout": %d, "non_2xx": %d, "p99_us": %d}\n',
    summary.requests, summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout,
    summary.errors.status, latency:percentile(99)))
end
