-- wrk script: POST /v1/bookings/checkout with a date no other request asks for. Request g
-- (counted across threads) books tenant g % T on day first + floor(g / T), so nothing collides.
-- Arguments: tenants_file first_day threads. Each line of tenants_file: public_key package_id.
dofile(os.getenv("BENCH_DIR") .. "/report.lua")

local tenants, first, threads, n = {}, nil, 1, 0
local counter = 0

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
end

local function day(offset)
  local y, m, d = first:match("(%d+)-(%d+)-(%d+)")
  local t = os.time({year = tonumber(y), month = tonumber(m), day = tonumber(d) + offset, hour = 12})
  return os.date("%Y-%m-%d", t)
end

function init(args)
  for line in io.lines(args[1]) do
    local key, package = line:match("(%S+)%s+(%S+)")
    tenants[#tenants + 1] = {key = key, package = package}
  end
  first, threads = args[2], tonumber(args[3])
end

function request()
  local g = n * threads + tid
  n = n + 1
  local tenant = tenants[(g % #tenants) + 1]
  local body = string.format(
    '{"packageId": "%s", "eventDate": "%s", "coupleName": "Bench Couple %d", "email": "couple%d@bench.example.com"}',
    tenant.package, day(math.floor(g / #tenants)), g, g)
  return wrk.format("POST", wrk.path, {
    ["Content-Type"] = "application/json",
    ["X-Tenant-Key"] = tenant.key,
  }, body)
end
