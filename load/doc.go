// Package load pushes business flows at a target rate with Vegeta
// (github.com/tsenart/vegeta/v12/lib) and measures what happened.
//
// A Flow is one request or a chain of requests run in order per iteration;
// later steps use values captured from earlier answers (a JSON path such as
// "$.id" or "data.items[0].id", or "header:Location") through ${name}
// references, the same syntax scenario files use. Every iteration makes
// unique data: ${seq}, ${uuid}, ${rand}, bodies generated per iteration from
// a contract (ContractOperation) and Step.Unique fields.
//
// Pacing is an open model: a Shape (Constant, Ramp, Stages, Sine) is a
// vegeta Pacer, and the rate is the expected peak times a multiplier
// (Target). Vegeta's attacker does the pacing, the worker pool and the HTTP
// of every step: the first step runs in one-second segments whose worker cap
// starts small and follows Little's law from the latency just observed,
// growing only when the pool was saturated (see MinWorkers), saturated
// meaning requests in flight between a worker's hit and vegeta handing its
// answer over, never answers waiting to be counted; each later step
// has its own attacker fed by a queue of iterations whose previous step
// answered. Every step's answer is a vegeta.Result with Attack set to the
// step's name and Seq to the iteration, streamed in vegeta's gob encoding
// (WithResults) so `vegeta report` and `vegeta plot` read the file, and
// Merge joins the files of several shards into one Report.
//
// A Report holds latency percentiles, rates, success ratio, status codes and
// errors per step and per flow, a per-second Series, and how far the
// generator fell behind its schedule. Every latency goes into HDR
// histograms (hdrhistogram-go, 1 µs to 1 h, 3 significant digits): one for
// the whole run and one per second, of all requests, of iterations and of
// each step; a second's latencies wait as 4-byte values while results may
// still arrive for it (the request timeout) and are then kept in the
// library's compressed encoding, so a 10-minute run at 10,000 requests per
// second holds about 12 MiB of them (BenchmarkHistogramMemory).
// Thresholds ("p99 < 800ms", "success >= 99.5%", "rate >= 0.98 * target",
// "errors < 10", "step:create p95 <= 1s", "p99 < 500ms over any 10s") keep
// their source text, report the measured value beside it (for a window,
// the worst one, named), and stop the run early once they can no longer
// pass.
//
// Shards: WithShard(Shard{i, N}) makes a process send the iterations k of
// the whole schedule with k % N == i, at their scheduled times, with the
// ${seq} and seeded randomness one process would give them.
// Report.WriteRunFiles writes a run folder (histograms.hlog in
// HdrHistogram's log format, then load-summary.json), and MergeRunDirs
// adds the folders of every shard into the report one process would have
// made, refusing folders that are incomplete or from another run.
//
// Safety: load goes only to loopback addresses, names resolving only to
// loopback, or allow-listed hosts (WithAllowHosts), redirects included; never through an HTTP
// proxy; every run is capped at MaxDuration; cancelling ctx (Ctrl-C) stops the
// load, ends the requests in flight by closing the run's connections, and
// still writes and reports the results so far.
package load
