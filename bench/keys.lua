-- wrk script: GET the URL with each request's X-Tenant-Key taken in turn from a file of
-- public keys (one per line), so the load spreads over every tenant (scaling runs).
-- Arguments: keys_file.
dofile(os.getenv("BENCH_DIR") .. "/report.lua")

local keys, n = {}, 0

function init(args)
  for line in io.lines(args[1]) do
    keys[#keys + 1] = line
  end
  n = math.random(#keys)
end

function request()
  n = n + 1
  return wrk.format("GET", nil, {["X-Tenant-Key"] = keys[(n % #keys) + 1]})
end
