# firedrill — `make help` lists the targets.
SHELL := /bin/bash
GO ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
BIN := bin/firedrill
# staticcheck from PATH, else where go install puts it.
STATICCHECK ?= $(or $(shell command -v staticcheck 2>/dev/null),$(shell $(GO) env GOPATH)/bin/staticcheck)
STATICCHECK_VERSION := v0.8.2

.PHONY: help build test drills fuzz bench lint cross demo clean example-image

## help: list the targets
help:
	@grep -E '^## ' $(MAKEFILE_LIST) | sed 's/^## /  /'

## build: build bin/firedrill with its version
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/firedrill

## example-image: the ordersync service's image, FROM scratch around its static binary (what the flagship's build: uses)
example-image:
	CGO_ENABLED=0 GOOS=linux $(GO) build -trimpath -o examples/ordersync/service/bin/ordersync ./examples/ordersync/service
	docker build -t firedrill-example/ordersync:dev examples/ordersync/service

## test: run every test with the race detector (the flagship drill both ways included), then the rate proofs without it
test:
	$(GO) test -race -count=1 -timeout 15m ./...
	$(GO) test -count=1 -run TestRateAccuracy ./load

## drills: ordersync's four other drills against the service and its naive build, and its CRM drill (five runs in a row, planted defects); ledgersync's drills, five runs in a row each, and its planted defects
drills:
	FIREDRILL_DRILLS=1 $(GO) test -count=1 -timeout 20m -run 'TestOrdersyncDrills$$|TestOrdersyncCRMDrill$$|TestLedgersyncDrills$$' -v ./cmd/firedrill

## fuzz: fuzz a slice of the fuzz targets (FUZZ_COUNT of them, FUZZ_TIME each; the slice moves daily; FUZZ_ALL=1 for all)
fuzz:
	bash .ci/fuzz

## bench: run the benchmarks (ratios against a baseline in the same run)
bench:
	$(GO) test -run '^$$' -bench . -benchmem -timeout 30m ./...

## lint: gofmt, go vet and staticcheck
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.git/*')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	@test -x "$(STATICCHECK)" || { echo "no staticcheck: go install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)"; exit 1; }
	$(STATICCHECK) ./...

## cross: build for darwin and windows too
cross:
	GOOS=darwin $(GO) build ./...
	GOOS=windows $(GO) build ./...

## demo: run the flagship drill (order sync at 3x peak through an accounting outage), embedded
demo: build
	./$(BIN) run examples/ordersync/scenarios/flagship.yaml --out runs/demo

## clean: remove build output and run folders
clean:
	rm -rf bin runs
