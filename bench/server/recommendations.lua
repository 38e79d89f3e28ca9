-- POST /v1/recommendations for user ids drawn uniformly from SEER_BENCH_IDS (every user of
-- the data set), 25 items each (the default), no filter.
package.path = (os.getenv("SEER_BENCH_LUA") or ".") .. "/?.lua;" .. package.path
local common = require("common")
local ids
local headers = { ["Content-Type"] = "application/json" }

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
  local body = '{"userId":"' .. ids[math.random(#ids)] .. '"}'
  return wrk.format("POST", "/v1/recommendations", headers, body)
end

done = common.done
