# The two commands a new user needs: `make demo` and `make test`.
#
# DuckDB's Arrow interface needs the duckdb_arrow build tag: with it, ingest
# hands validated Arrow batches to DuckDB in one INSERT; without it, a slower
# appender path is used. Both are vetted and tested.
GO ?= go
TAGS := -tags=duckdb_arrow
# flexemp --version: the tag or commit it was built from (debug.ReadBuildInfo
# says as much for a plain go build in a checkout).
VERSION := $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
LDFLAGS := -ldflags "-X main.buildVersion=$(VERSION)"

.PHONY: demo test build vet fuzz bench assets

build:
	$(GO) build $(TAGS) $(LDFLAGS) -o flexemp ./cmd/flexemp

demo: build
	./flexemp demo --dir demo

vet:
	./scripts/check-large-files.sh
	$(GO) vet ./...
	$(GO) vet $(TAGS) ./...
	$(GO) tool staticcheck ./...
	$(GO) tool staticcheck $(TAGS) ./...
	./scripts/lint-openapi.sh

# The longest packages are named first, so go test starts them first: on two
# cores cmd/flexemp and server no longer end the run alone (BENCHMARKS).
test: vet
	$(GO) test $(TAGS) ./cmd/flexemp ./server ./metrics ./transform ./...
	$(GO) test ./ingest
	$(MAKE) fuzz FUZZTIME=10s

# Every fuzz target for a bounded time: 10 s each inside `make test` (CI),
# longer by hand (make fuzz FUZZTIME=5m); each says how many inputs it
# tried (scripts/fuzz.sh).
FUZZTIME ?= 60s

fuzz:
	./scripts/fuzz.sh ingest FuzzCSVReader $(FUZZTIME)
	./scripts/fuzz.sh ingest FuzzXLSXSheet $(FUZZTIME)
	./scripts/fuzz.sh internal/xmlscan FuzzScan $(FUZZTIME)
	./scripts/fuzz.sh ingest FuzzParseDate $(FUZZTIME)
	./scripts/fuzz.sh . FuzzParseID $(FUZZTIME)

# Re-fetch the report's browser assets from npm and check their checksums.
assets:
	./scripts/fetch-assets.sh

# Whole-pipeline figures (each ingest in its own process) and the Go benchmarks.
bench: build
	./flexemp bench --suite all
	$(GO) test ./metrics -run XXX -bench . -benchmem
	$(GO) test $(TAGS) ./ingest -run XXX -bench . -benchtime 3x -timeout 30m
