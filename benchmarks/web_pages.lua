-- wrk script: print the percentiles wrk keeps (incl. p95) and the error count on one line.
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
                 + summary.errors.status + summary.errors.timeout
  io.write(string.format(
    "RESULT requests=%d rps=%.1f p50=%.1fms p90=%.1fms p95=%.1fms p99=%.1fms max=%.1fms errors=%d\n",
    summary.requests, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, errors))
end
