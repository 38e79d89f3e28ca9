-- Shared by the bench/server wrk scripts: reads one id per line from the file named by the
-- environment (SEER_BENCH_IDS), draws them uniformly at random, and prints one machine-readable
-- line at the end: throughput, latency percentiles (µs) and errors.
local M = {}

function M.load_ids()
  local ids = {}
  local path = os.getenv("SEER_BENCH_IDS")
  if path then
    for line in io.lines(path) do
      if line ~= "" then ids[#ids + 1] = line end
    end
  end
  return ids
end

function M.done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format("RESULT rps=%.1f p50_us=%d p99_us=%d requests=%d non2xx=%d socket_errors=%d\n",
    summary.requests / seconds, latency:percentile(50), latency:percentile(99), summary.requests,
    e.status, e.connect + e.read + e.write + e.timeout))
end

return M
