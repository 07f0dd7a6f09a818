// Package k8s owns the Kubernetes objects of a sharded run: the scenario's
// load split over N pods of an Indexed Job, each running
// `firedrill run --shard i/N --barrier URL`, and a merge Job behind a
// headless Service that is their barrier and their collector, and whose
// exit code is the verdict. Objects builds them from a validated scenario
// (the scenario and every file it names go into one ConfigMap), Write
// prints them as one YAML stream for kubectl apply, Decode reads such a
// stream back strictly, and Validate checks a set of objects against the
// rules the API server enforces and those a sharded run needs, listing
// every problem in one error.
package k8s
