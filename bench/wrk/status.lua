-- POST /orders/status moving preloaded orders along their lifecycle. Arguments: orders=<preloaded>,
-- threads=<wrk's -t>. Each thread walks its own slice, one order per request: the first pass moves them from Pending
-- to Accepted, the next to Preparing, and so on, so every request is a valid step and no order is in two at once.
package.path = debug.getinfo(1, "S").source:match("^@(.*/)") .. "?.lua;" .. package.path
local common = require("common")
setup = common.setup
local steps = { "Accepted", "Preparing", "ReadyForPickup", "OutForDelivery", "Delivered" }
local first, slice, next_order = 0, 0, 0

function init(list)
  local args = common.args(list)
  slice = math.floor(tonumber(args.orders) / tonumber(args.threads))
  first = thread_index * slice
  -- wrk calls the first thread's request() once before the run to check it, and never sends that request: let that
  -- call take no order.
  if thread_index == 0 then next_order = -1 end
end

function request()
  local this = next_order
  next_order = next_order + 1
  if this < 0 then
    return wrk.format("POST", "/orders/status", { ["Content-Type"] = "application/json" }, "{}")
  end
  local n = first + (this % slice) + 1
  local status = steps[math.floor(this / slice) + 1] or "Delivered"
  local body = '{"id":"' .. common.order_id(n) .. '","status":"' .. status .. '"}'
  return wrk.format("POST", "/orders/status", { ["Content-Type"] = "application/json" }, body)
end
