-- GET one page of …/accounts/transactions (about 100 rows: 200 days of a bench account).
dofile("bench/common.lua")
local requests
local from = os.getenv("BENCH_FROM")

function init(args)
  local tokens = load_lines(os.getenv("BENCH_DIR") .. "/access.txt")
  requests = prepared(tokens, function(t)
    return wrk.format("GET", "/t/" .. t[3] .. "/api/v1/accounts/transactions?accountId=" .. t[2] .. "&dateFrom=" .. from,
      { ["Authorization"] = "Bearer " .. t[1] })
  end)
  math.randomseed(os.time() + (id or 0) * 7919)
end

function request()
  return requests[math.random(#requests)]
end
