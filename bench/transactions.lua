-- GET one page of …/accounts/transactions (about 100 rows: 200 days of a bench account).
dofile("bench/common.lua")
local tokens
local from = os.getenv("BENCH_FROM")

function init(args)
  tokens = load_lines(os.getenv("BENCH_DIR") .. "/access.txt")
  math.randomseed(os.time() + (id or 0) * 7919)
end

function request()
  local t = tokens[math.random(#tokens)]
  return wrk.format("GET", "/t/" .. t[3] .. "/api/v1/accounts/transactions?accountId=" .. t[2] .. "&dateFrom=" .. from,
    { ["Authorization"] = "Bearer " .. t[1] })
end
