-- POST …/oauth/introspect as the bench partner, for a random access token.
dofile("bench/common.lua")
local requests
local auth = "Basic " .. "YmVuY2gtYTpiZW5jaC1zZWNyZXQ=" -- bench-a:bench-secret

function init(args)
  local tokens = load_lines(os.getenv("BENCH_DIR") .. "/access.txt")
  requests = prepared(tokens, function(t)
    return wrk.format("POST", "/t/" .. t[3] .. "/oauth/introspect",
      { ["Authorization"] = auth, ["Content-Type"] = "application/x-www-form-urlencoded" }, "token=" .. t[1])
  end)
  math.randomseed(os.time() + (id or 0) * 7919)
end

function request()
  return requests[math.random(#requests)]
end
