# The two commands a new user needs: `make demo` and `make test`.
GO ?= go

.PHONY: demo test build vet fuzz bench

build:
	$(GO) build -o flexemp ./cmd/flexemp

demo: build
	./flexemp demo --dir demo

test:
	$(GO) vet ./...
	$(GO) test ./...

fuzz:
	$(GO) test ./ingest -run XXX -fuzz FuzzCSVReader -fuzztime 60s
	$(GO) test ./ingest -run XXX -fuzz FuzzXLSXReader -fuzztime 60s
	$(GO) test ./ingest -run XXX -fuzz FuzzParseDate -fuzztime 30s
	$(GO) test . -run XXX -fuzz FuzzParseID -fuzztime 30s

bench:
	$(GO) test ./ingest -run XXX -bench . -benchtime 1x -timeout 30m
