// Package chaos injects network faults through Toxiproxy (an embedded server
// or a remote one by URL) and runs a fault timeline that records every change
// in an audit log and always rolls back.
//
// One type, Toxiproxy, drives both kinds of server: Embedded starts a real
// Toxiproxy (github.com/Shopify/toxiproxy/v2) in this process, its API on
// loopback, and Close stops it with every proxy listener; Remote reaches an
// existing one. Proxy puts a proxy in front of an upstream host:port.
//
// Faults come from a catalogue (Catalogue, ParseToxic): latency, bandwidth,
// slow_close, timeout, reset_peer, limit_data, slicer and down (the proxy
// disabled: each connection reset at once and counted, see Refusals). Parameters are read from text ("500ms",
// "64KB/s", "4KiB") and checked; a bad one gets a *ParamError naming the
// toxic, the parameter and what is accepted.
//
// A Timeline switches Faults on and off on schedule. A Fault is one method,
// Apply, returning its Revert; toxics are one implementation (Toxiproxy.Fault)
// and anything else, such as an HTTP fault of a mock, plugs in through
// FaultFunc. Whatever ends the run (its end, a cancelled context, a signal
// that cancels it, a panic, Rollback) every fault still on is reverted on a
// fresh context, and each change goes to the audit log as a JSON line
// (AuditRecord). Windows says when each fault was really on, as the audit
// log has it: what gates judge, rather than the planned schedule.
package chaos
