-- GET …/accounts/balances with a random one of the bench access tokens.
dofile("bench/common.lua")
local requests

function init(args)
  local tokens = load_lines(os.getenv("BENCH_DIR") .. "/" .. (os.getenv("BENCH_ACCESS") or "access.txt"))
  requests = prepared(tokens, function(t)
    return wrk.format("GET", "/t/" .. t[3] .. "/api/v1/accounts/balances?accountId=" .. t[2], { ["Authorization"] = "Bearer " .. t[1] })
  end)
  math.randomseed(os.time() + (id or 0) * 7919)
end

function request()
  return requests[math.random(#requests)]
end
