-- POST /orders with 3 items for a random customer and restaurant. Arguments: customers=<n>, restaurants=<n>.
package.path = debug.getinfo(1, "S").source:match("^@(.*/)") .. "?.lua;" .. package.path
local common = require("common")
setup = common.setup
local customers, restaurants

function init(list)
  local args = common.args(list)
  customers, restaurants = tonumber(args.customers), tonumber(args.restaurants)
  math.randomseed(os.time() + thread_index)
end

function request()
  local body = string.format(
    '{"customer_id":"%d","restaurant_id":"%d","order_items":[' ..
    '{"product_code":"P-0","name":"Item-0","unit_price":2.50,"quantity":2},' ..
    '{"product_code":"P-1","name":"Item-1","unit_price":3.50,"quantity":1},' ..
    '{"product_code":"P-2","name":"Item-2","unit_price":4.50,"quantity":3}]}',
    10000 + math.random(0, customers - 1), 20000 + math.random(0, restaurants - 1))
  return wrk.format("POST", "/orders", { ["Content-Type"] = "application/json" }, body)
end
