-- wrk script: GET <path>?startDate=&endDate= for a range of `days` days whose start moves
-- one day per request through `starts` different days from `first` (YYYY-MM-DD).
-- Arguments: first days starts.
dofile(os.getenv("BENCH_DIR") .. "/report.lua")

local first, days, starts, n = nil, 60, 300, 0

local function day(offset)
  local y, m, d = first:match("(%d+)-(%d+)-(%d+)")
  local t = os.time({year = tonumber(y), month = tonumber(m), day = tonumber(d) + offset, hour = 12})
  return os.date("%Y-%m-%d", t)
end

function init(args)
  first, days, starts = args[1], tonumber(args[2]), tonumber(args[3])
end

function request()
  local offset = n % starts
  n = n + 1
  local path = wrk.path .. "?startDate=" .. day(offset) .. "&endDate=" .. day(offset + days - 1)
  return wrk.format("GET", path)
end
