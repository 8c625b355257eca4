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

.PHONY: demo test build vet govet staticcheck lint-openapi fuzz bench assets untagged

build:
	$(GO) build $(TAGS) $(LDFLAGS) -o flexemp ./cmd/flexemp

demo: build
	./flexemp demo --dir demo

# go vet, staticcheck and Redocly's lint run at once (make -j).
vet:
	./scripts/check-large-files.sh
	$(MAKE) -j 3 govet staticcheck lint-openapi

govet:
	$(GO) vet ./...
	$(GO) vet $(TAGS) ./...

staticcheck:
	$(GO) tool staticcheck ./...
	$(GO) tool staticcheck $(TAGS) ./...

lint-openapi:
	./scripts/lint-openapi.sh

# The longest packages are named first, so go test starts them first: on two
# cores cmd/flexemp and server no longer end the run alone (BENCHMARKS).
# After the tagged tests, the untagged ingest tests (the appender path) and
# the five fuzz targets run at once: 10 s each of wall time, where one
# after another they took a minute.
test: vet
	$(GO) test $(TAGS) ./cmd/flexemp ./server ./metrics ./transform ./...
	$(MAKE) -j 6 untagged fuzz FUZZTIME=10s

untagged:
	$(GO) test ./ingest

# Every fuzz target for a bounded time: 10 s each inside `make test` (CI),
# longer by hand (make fuzz FUZZTIME=5m, or make -j 5 fuzz for all at
# once); each says how many inputs it tried (scripts/fuzz.sh).
FUZZTIME ?= 60s
FUZZ_TARGETS := ingest+FuzzCSVReader ingest+FuzzXLSXSheet internal/xmlscan+FuzzScan ingest+FuzzParseDate .+FuzzParseID

.PHONY: $(FUZZ_TARGETS)
fuzz: $(FUZZ_TARGETS)

$(FUZZ_TARGETS):
	./scripts/fuzz.sh $(subst +, ,$@) $(FUZZTIME)

# Re-fetch the report's browser assets from npm and check their checksums.
assets:
	./scripts/fetch-assets.sh

# Whole-pipeline figures (each ingest in its own process) and the Go benchmarks.
bench: build
	./flexemp bench --suite all
	$(GO) test ./metrics -run XXX -bench . -benchmem
	$(GO) test $(TAGS) ./ingest -run XXX -bench . -benchtime 3x -timeout 30m
