-- GET /orders?limit=20&cursor=...: the page after a position half-way down all orders. Arguments: cursor=<cursor>.
package.path = debug.getinfo(1, "S").source:match("^@(.*/)") .. "?.lua;" .. package.path
local common = require("common")
setup = common.setup
local path

function init(list)
  path = "/orders?limit=20&cursor=" .. common.args(list).cursor
end

function request()
  return wrk.format("GET", path)
end
