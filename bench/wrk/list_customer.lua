-- GET /orders?customer_id=...&limit=20: a random customer's newest 20 orders. Arguments: customers=<n>.
package.path = debug.getinfo(1, "S").source:match("^@(.*/)") .. "?.lua;" .. package.path
local common = require("common")
setup = common.setup
local customers

function init(list)
  customers = tonumber(common.args(list).customers)
  math.randomseed(os.time() + thread_index)
end

function request()
  return wrk.format("GET", "/orders?limit=20&customer_id=" .. (10000 + math.random(0, customers - 1)))
end
