// Package firedrill runs firedrill in containers through testcontainers-go,
// for pipelines that test the image they release: mocks of the vendors
// around a service (Run, one `firedrill mock --network private` process per
// container, one mock per WithMock) and a Toxiproxy server (RunChaos), in a
// small image built FROM scratch around the static firedrill binary
// (BuildImage), nothing ever pulled. Its options are testcontainers-go
// customizers, beside the standard ones (network.WithNetwork,
// testcontainers.WithEnv, testcontainers.WithHostConfigModifier).
//
// Everything started for a run carries the label LabelRun, so that Clean
// (and `firedrill clean`) sweeps what a run left behind, containers,
// networks and, when asked, images.
//
// testcontainers-go starts its Ryuk reaper from an image it pulls; where
// that image is not on the engine, ReaperPolicy turns Ryuk off before
// testcontainers-go reads its configuration, and firedrill terminates what
// it starts itself. Call BuildImage (or ReaperPolicy) before any other
// testcontainers-go call of the process, network.New included.
package firedrill
