package k8s_test

import (
	"fmt"

	"github.com/firedrill/firedrill/scenarios/k8s"
)

// The run's name, and so the objects' names, come from the scenario's
// name unless --name gives one.
func ExampleName() {
	name, _ := k8s.Name("order sync holds at 3x peak through an accounting outage")
	fmt.Println(name)
	fmt.Println(name + "-merge")
	// Output:
	// order-sync-holds-at-3x-peak-through-an-accounting
	// order-sync-holds-at-3x-peak-through-an-accounting-merge
}
