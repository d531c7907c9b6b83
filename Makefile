# Chief Monitor — the two commands a newcomer needs are `make run` and `make test`.
GO        ?= go
BIN       := bin
PKGS      := ./...
TEST_FLAGS ?= -race -count=1 -timeout 15m

.PHONY: all generate build run test fuzz lint fmt check-generated bench soak clean

all: build

## generate: regenerate the templ views (*_templ.go, committed)
generate:
	$(GO) tool templ generate -path views

## build: both binaries into bin/, static (pure Go, no libc: portable, and 1-1.5 MB less resident)
build:
	CGO_ENABLED=0 $(GO) build -o $(BIN)/monitor ./cmd/monitor
	CGO_ENABLED=0 $(GO) build -o $(BIN)/gulag-chief ./cmd/gulag-chief

## run: the monitor on embedded SQLite plus a demo Chief daemon running the sample jobs
run: build
	./scripts/run-demo.sh

## test: every test on SQLite, then the whole suite again on PostgreSQL when
## MONITOR_TEST_POSTGRES_URL is set (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable)
test: build
	$(GO) test $(TEST_FLAGS) $(PKGS)
	@if [ -n "$$MONITOR_TEST_POSTGRES_URL" ]; then \
		echo "== the same suite on PostgreSQL ($$MONITOR_TEST_POSTGRES_URL)"; \
		MONITOR_TEST_DB=postgres $(GO) test $(TEST_FLAGS) $(PKGS); \
	else \
		echo "== PostgreSQL pass skipped: MONITOR_TEST_POSTGRES_URL is not set"; \
	fi

## fuzz: each fuzz target for a bounded number of executions (the committed corpus runs in `make test` too).
## A count, not a duration: Go 1.26's coordinator can fail a duration-bounded run with a bare
## "context deadline exceeded" when the deadline lands mid-execution (golang/go#75804, fixed in 1.27).
FUZZ_TIME ?= 25000x
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeEvent$$' -fuzztime $(FUZZ_TIME) ./internal/telemetry
	$(GO) test -run '^$$' -fuzz '^FuzzPageParam$$' -fuzztime $(FUZZ_TIME) ./handlers
	$(GO) test -run '^$$' -fuzz '^FuzzLoad$$' -fuzztime $(FUZZ_TIME) ./internal/chief/config
	$(GO) test -run '^$$' -fuzz '^FuzzObjectOrEmpty$$' -fuzztime $(FUZZ_TIME) ./internal/apirow

## lint: go vet and a gofmt check
lint:
	$(GO) vet $(PKGS)
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

fmt:
	gofmt -w $$(git ls-files '*.go')

## check-generated: fail when `templ generate` would change the committed files
check-generated: generate
	@git diff --exit-code -- views || (echo "templ generate changed files: run 'make generate' and commit"; exit 1)

## bench: the load tool (ceilings, ingest, queries at BENCH_N events, memory, lost events),
## then the Go benchmarks of the ingest service and the rule engine. BENCH_DB_URL=postgres://… measures
## the monitor on an (empty) PostgreSQL database instead of SQLite.
BENCH_N ?= 1000000
bench: build
	$(GO) build -o $(BIN)/loadtest ./cmd/loadtest
	./$(BIN)/loadtest -monitor $(BIN)/monitor -n $(BENCH_N) -out bench-results.jsonl $(if $(BENCH_DB_URL),-db-url "$(BENCH_DB_URL)")
	$(GO) test -run '^$$' -bench . -benchmem ./services/

## soak: 10 minutes of mixed ingest, page loads and queries; memory, goroutines and fds at start and end
SOAK ?= 10m
soak: build
	$(GO) build -o $(BIN)/loadtest ./cmd/loadtest
	./$(BIN)/loadtest -monitor $(BIN)/monitor -soak $(SOAK)

## image: the container image from the binaries of `make build`, offline (its base is scratch);
## `docker build -t chief-monitor .` builds it from source instead. See docs/deployment.md.
IMAGE ?= chief-monitor:latest
CONTAINER ?= podman
.PHONY: image
image: build
	cp /etc/ssl/certs/ca-certificates.crt $(BIN)/ca-certificates.crt
	$(CONTAINER) build --format docker --target local --build-context bin=$(BIN) -t $(IMAGE) .

clean:
	rm -rf $(BIN) .demo
