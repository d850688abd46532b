-- wrk script: POST binary-tensor infer requests (KServe V2 binary data extension),
-- rotating over several bodies so each connection sends different inputs, and print
-- the latency percentiles as one JSON line at the end (read by Benchmarks/batching_bench.py).
-- Usage: wrk -s infer_binary.lua URL -- HEADER_LENGTH:FILE...
-- done() (the JSON summary line) is post_body.lua's; init and request are replaced below.
dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "post_body.lua")
local bodies, lengths, n = {}, {}, 0

function init(args)
  for i = 1, #args do
    local length, file = args[i]:match("^(%d+):(.+)$")
    local f = assert(io.open(file, "rb"))
    bodies[#bodies + 1] = f:read("*a")
    lengths[#lengths + 1] = length
    f:close()
  end
  -- Each thread starts at another body.
  n = math.random(#bodies) - 1
end

function request()
  n = n % #bodies + 1
  return wrk.format("POST", nil, {
    ["Content-Type"] = "application/octet-stream",
    ["Inference-Header-Content-Length"] = lengths[n],
  }, bodies[n])
end
