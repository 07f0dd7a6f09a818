package firedrill

import (
	"context"
	"fmt"

	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/network"
)

// NewNetwork creates, through network.New, a private network for the run
// runID: labelled LabelRun and LabelKind=network, for Clean to find. Attach
// containers with network.WithNetwork(aliases, nw); remove it with
// nw.Remove once they are terminated.
func NewNetwork(ctx context.Context, runID string, opts ...network.NetworkCustomizer) (*testcontainers.DockerNetwork, error) {
	if runID == "" {
		return nil, fmt.Errorf("firedrill: network: an empty run id")
	}
	ReaperPolicy(ctx)
	labels := network.WithLabels(map[string]string{LabelRun: runID, LabelKind: KindNetwork})
	nw, err := network.New(ctx, append([]network.NetworkCustomizer{labels}, opts...)...)
	if err != nil {
		return nil, fmt.Errorf("firedrill: network for run %s: %w", runID, err)
	}
	return nw, nil
}
