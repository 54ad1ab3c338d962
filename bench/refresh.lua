-- POST …/oauth/token grant_type=refresh_token. Refresh tokens rotate: each response's new token
-- replaces the one just used, so a thread cycles through its own share and never reuses one;
-- each run (BENCH_RUN) starts from a token set of its own.
dofile("bench/common.lua")
local queue = {}
local head, tail = 1, 0
local auth = "Basic " .. "YmVuY2gtYTpiZW5jaC1zZWNyZXQ=" -- bench-a:bench-secret
local tenant = "kitami"

function init(args)
  local nthreads = tonumber(os.getenv("BENCH_THREADS"))
  local run = os.getenv("BENCH_RUN") or "1"
  for _, t in ipairs(load_lines(os.getenv("BENCH_DIR") .. "/refresh.txt", id, nthreads)) do
    if t[2] == run and t[3] == tenant then
      tail = tail + 1
      queue[tail] = t[1]
    end
  end
end

function request()
  local token = queue[head]
  queue[head] = nil
  head = head + 1
  return wrk.format("POST", "/t/" .. tenant .. "/oauth/token",
    { ["Authorization"] = auth, ["Content-Type"] = "application/x-www-form-urlencoded" },
    "grant_type=refresh_token&refresh_token=" .. token)
end

function response(status, headers, body)
  local fresh = body:match('"refresh_token":"([^"]+)"')
  if fresh then
    tail = tail + 1
    queue[tail] = fresh
  end
end
