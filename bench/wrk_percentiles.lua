-- wrk done() hook: latency percentiles wrk's --latency table does not print
-- (p99.9, p99.99) and a finer distribution for the plots. One line each,
-- "PCT <percentile> <microseconds>", parsed by bench/proxy_bench.py.
done = function(summary, latency, requests)
  for _, p in ipairs({50, 75, 90, 95, 99, 99.5, 99.9, 99.99}) do
    io.write(string.format("PCT %g %.0f\n", p, latency:percentile(p)))
  end
  io.write(string.format("PCT 100 %.0f\n", latency.max))
end
