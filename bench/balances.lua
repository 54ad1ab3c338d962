-- GET …/accounts/balances with a random one of the bench access tokens.
dofile("bench/common.lua")
local tokens

function init(args)
  tokens = load_lines(os.getenv("BENCH_DIR") .. "/" .. (os.getenv("BENCH_ACCESS") or "access.txt"))
  math.randomseed(os.time() + (id or 0) * 7919)
end

function request()
  local t = tokens[math.random(#tokens)]
  return wrk.format("GET", "/t/" .. t[3] .. "/api/v1/accounts/balances?accountId=" .. t[2], { ["Authorization"] = "Bearer " .. t[1] })
end
