package firedrill

// The labels firedrill puts on what it starts, for Clean to find.
const (
	// LabelRun is the run a container, network or image belongs to.
	LabelRun = "io.firedrill.run"
	// LabelKind is what it is: KindMock, KindChaos, KindService,
	// KindNetwork or KindImage.
	LabelKind = "io.firedrill.kind"
	// LabelSystem names the systems a container serves, comma-separated
	// (a mock container may serve several).
	LabelSystem = "io.firedrill.system"
)

// The values of LabelKind.
const (
	KindMock    = "mock"
	KindChaos   = "chaos"
	KindService = "service"
	KindNetwork = "network"
	KindImage   = "image"
)
