-- POST …/oauth/introspect as the bench partner, for a random access token.
dofile("bench/common.lua")
local tokens
local auth = "Basic " .. "YmVuY2gtYTpiZW5jaC1zZWNyZXQ=" -- bench-a:bench-secret

function init(args)
  tokens = load_lines(os.getenv("BENCH_DIR") .. "/access.txt")
  math.randomseed(os.time() + (id or 0) * 7919)
end

function request()
  local t = tokens[math.random(#tokens)]
  return wrk.format("POST", "/t/" .. t[3] .. "/oauth/introspect",
    { ["Authorization"] = auth, ["Content-Type"] = "application/x-www-form-urlencoded" }, "token=" .. t[1])
end
