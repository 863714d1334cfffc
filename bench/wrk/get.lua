-- GET /orders/{id} of a random preloaded order. Arguments: orders=<how many were preloaded>.
package.path = debug.getinfo(1, "S").source:match("^@(.*/)") .. "?.lua;" .. package.path
local common = require("common")
setup = common.setup
local orders

function init(list)
  orders = tonumber(common.args(list).orders)
  math.randomseed(os.time() + thread_index)
end

function request()
  return wrk.format("GET", "/orders/" .. common.order_id(math.random(1, orders)))
end
