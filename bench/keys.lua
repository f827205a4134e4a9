-- wrk script: GET the URL with each request's X-Tenant-Key taken in turn from a file of
-- public keys (one per line), so the load spreads over every tenant (scaling runs). Each
-- wrk thread starts at its own place in the list.
-- Arguments: keys_file.
dofile(os.getenv("BENCH_DIR") .. "/report.lua")

local keys, n, threads = {}, 0, 0

function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end

function init(args)
  for line in io.lines(args[1]) do
    keys[#keys + 1] = line
  end
  n = tid * math.floor(#keys / 2)
end

function request()
  n = n + 1
  return wrk.format("GET", nil, {["X-Tenant-Key"] = keys[(n % #keys) + 1]})
end
