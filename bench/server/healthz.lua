package.path = (os.getenv("SEER_BENCH_LUA") or ".") .. "/?.lua;" .. package.path
local common = require("common")
wrk.method = "GET"
wrk.path = "/healthz"
done = common.done
