-- POST /orders/status moving preloaded orders from Pending to Accepted. Arguments: orders=<preloaded>,
-- threads=<wrk's -t>. Each thread walks its own slice, one order per request, so no order is moved twice.
package.path = debug.getinfo(1, "S").source:match("^@(.*/)") .. "?.lua;" .. package.path
local common = require("common")
setup = common.setup
local first, slice, next_order = 0, 0, 0

function init(list)
  local args = common.args(list)
  slice = math.floor(tonumber(args.orders) / tonumber(args.threads))
  first = thread_index * slice
end

function request()
  local n = first + (next_order % slice) + 1
  next_order = next_order + 1
  local body = '{"id":"' .. common.order_id(n) .. '","status":"Accepted"}'
  return wrk.format("POST", "/orders/status", { ["Content-Type"] = "application/json" }, body)
end
