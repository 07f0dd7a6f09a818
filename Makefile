# firedrill — `make help` lists the targets.
SHELL := /bin/bash
GO ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
BIN := bin/firedrill

.PHONY: help build test bench lint demo clean

## help: list the targets
help:
	@grep -E '^## ' $(MAKEFILE_LIST) | sed 's/^## /  /'

## build: build bin/firedrill with its version
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/firedrill

## test: run every test with the race detector, then the rate proofs without it
test:
	$(GO) test -race -count=1 -timeout 15m ./...
	$(GO) test -count=1 -run TestRateAccuracy ./load

## bench: run the benchmarks (ratios against a baseline in the same run)
bench:
	$(GO) test -run '^$$' -bench . -benchmem -timeout 30m ./...

## lint: gofmt and go vet
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

## demo: run the flagship drill (order sync at 3x peak through an accounting outage), embedded
demo: build
	./$(BIN) run examples/ordersync/scenarios/flagship.yaml --out runs/demo

## clean: remove build output and run folders
clean:
	rm -rf bin runs
