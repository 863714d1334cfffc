-- Shared by the wrk scripts: the ids the harness preloads, and each thread's own slice of them.
-- Preloaded order n (1-based) has the 16-byte id made of the ASCII digits of 1000000000000000 + n, so pgbench can
-- name the same orders; as a UUID, each digit d is the byte 0x3d.

local common = {}

function common.order_id(n)
  local hex = string.format("%d", 1000000000000000 + n):gsub("%d", "3%0")
  return hex:sub(1, 8) .. "-" .. hex:sub(9, 12) .. "-" .. hex:sub(13, 16) .. "-" .. hex:sub(17, 20) .. "-" .. hex:sub(21, 32)
end

-- wrk calls setup once per thread before starting them: number the threads.
local threads = 0
function common.setup(thread)
  thread:set("thread_index", threads)
  threads = threads + 1
end

-- "key=value" arguments after `--` on wrk's command line.
function common.args(list)
  local args = {}
  for _, arg in ipairs(list) do
    local key, value = arg:match("^([%w_]+)=(.*)$")
    if key then args[key] = value end
  end
  return args
end

return common
