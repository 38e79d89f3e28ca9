-- GET /v1/forecasts/{itemId} for item ids drawn uniformly from SEER_BENCH_IDS.
package.path = (os.getenv("SEER_BENCH_LUA") or ".") .. "/?.lua;" .. package.path
local common = require("common")
local ids

local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("seed", threads)
end

function init(args)
  ids = common.load_ids()
  math.randomseed(os.time() * 100 + (seed or 0))
end

function request()
  return wrk.format("GET", "/v1/forecasts/" .. ids[math.random(#ids)])
end

done = common.done
