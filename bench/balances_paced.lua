-- The balances calls of balances.lua, each connection pausing between calls: a load the server
-- carries with room to spare, so that latency measures the service rather than a queue.
dofile("bench/balances.lua")

function delay()
  return tonumber(os.getenv("BENCH_PAUSE_MS") or "1")
end
