-- Shared by the bench scripts: load this thread's share of the bench tokens.
-- Each thread takes every n-th line (setup() hands out thread numbers), so no two threads ever
-- present the same refresh token.
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function load_lines(path, id, nthreads)
  local out = {}
  local i = 0
  for line in io.lines(path) do
    if nthreads == nil or i % nthreads == id then
      local fields = {}
      for f in line:gmatch("%S+") do table.insert(fields, f) end
      table.insert(out, fields)
    end
    i = i + 1
  end
  return out
end

-- Each line's request, written once: a run then spends its time on the server's answers rather
-- than on writing requests.
function prepared(lines, format)
  local out = {}
  for i, fields in ipairs(lines) do out[i] = format(fields) end
  return out
end
