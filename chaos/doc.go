// Package chaos injects network faults through Toxiproxy (an embedded server
// or a remote one by URL) and runs a fault timeline that records every change
// in an audit log and always rolls back.
package chaos
