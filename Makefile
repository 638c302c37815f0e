# aura-edge — the two commands a newcomer needs: `make demo` and `make test`.
GO        ?= go
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X github.com/auraconnect/aura-edge/internal/version.Version=$(VERSION)
BIN       := bin/aura-edge
PKGS      := ./...

.PHONY: all build test soak demo bench bench-all lint release-check cross fuzz clean openapi package lintian

all: lint test build

# The release build: static (no cgo, like the .deb), without paths from
# this machine, symbols or DWARF (-s -w), with the version stamped in.
# A plain `go build ./cmd/aura-edge` keeps the debug information.
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/aura-edge

# The whole suite, with the race detector. Tests that need mosquitto or socat
# fail (not skip) when CI=true.
# Test artifacts (the status page browser test's screenshots) land in
# $(ARTIFACTS)/_artifacts/.
ARTIFACTS ?= $(CURDIR)/dist/test-artifacts
test:
	@mkdir -p $(ARTIFACTS)
	$(GO) test -race -count=1 -timeout 25m -artifacts -outputdir $(ARTIFACTS) $(PKGS)

# Fault soak against real mosquitto and a TCP printer stand-in: kill -9
# cycles, broker flaps, a hung printer, a resetting printer, an ACL-denying
# broker (receipts mode), a poison order, a 429/500 storm at five POS
# vendor stand-ins; prints a table.
# SOAK=short (CI, ~55-80 s with the build) or SOAK=long SOAK_DURATION=2h; SOAK_RECEIPT_DELAY=1500ms plays a slow cloud.
SOAK ?= short
soak:
	SOAK=$(SOAK) $(GO) test -count=1 -run '^TestSoak$$' -v -timeout 0 ./cmd/aura-edge

# The main job on embedded defaults: embedded broker as the cloud, a stand-in
# POS vendor, a virtual printer. No config and no external service needed.
# The demo lives behind the `demo` build tag so the release binary does not
# link the stand-ins, the embedded broker or the testing package.
demo:
	$(GO) run -tags demo ./cmd/aura-edge demo --duration 15s

# The performance targets, each beside its limit in the same run (raw
# bbolt Batch, bare paho, an empty store, the hook alone), BENCH_ROUNDS
# rounds alternating between them, printed with min/median/max and the
# load average (README "Measured" quotes these). Needs mosquitto for Drain.
# BENCH_ONLY=Capture,Drain runs only the matching targets (and skips the storm).
BENCH_ROUNDS ?= 3
BENCH_ONLY ?=
bench:
	$(GO) run ./internal/benchcmp -rounds $(BENCH_ROUNDS) -only '$(BENCH_ONLY)'
	if [ -z '$(BENCH_ONLY)' ]; then $(GO) test -run '^$$' -bench ReconnectStorm -benchtime 1x -timeout 20m ./internal/cloud; fi

# Every benchmark of every package once (a smoke run, not for figures).
bench-all:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 1x -timeout 30m $(PKGS)

# Regenerate the local API's OpenAPI document and JSON Schemas from the code,
# and openapi.json.gz, the copy the binary embeds (a test fails while they
# are out of date; after merging branches that change routes, run it again).
openapi:
	$(GO) test -count=1 -run TestGenerated ./internal/localapi/openapi -update

lint: release-check
	$(GO) vet $(PKGS)
	$(GO) vet -tags demo ./cmd/aura-edge
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# The release binary ships to stores: it must not link the testing package,
# httptest, the vendor or printer stand-ins (*test, squarespec), the test
# toolkit, the embedded test broker, the demo, the benchmark runner, the
# packaging code (nfpm and its git/ssh stack), the OpenAPI and JSON Schema
# validators the API tests use, or the status page's browser driver; and
# `make build` must strip it (-s -w), build it static and with -trimpath.
RELEASE_BAD_PKGS := mochi-mqtt|test$$|test/|/testkit($$|/)|/squarespec$$|/internal/demo$$|/internal/benchcmp$$|/packaging/
RELEASE_BAD_MODS := github.com/mochi-mqtt/|github.com/goreleaser/|github.com/getkin/|github.com/santhosh-tekuri/|github.com/chromedp/|github.com/go-git/
release-check: build
	@bad=$$($(GO) list -deps -f '{{if not .Standard}}{{.ImportPath}}{{end}}' ./cmd/aura-edge | grep -E '$(RELEASE_BAD_PKGS)' || true); \
	 std=$$($(GO) list -deps ./cmd/aura-edge | grep -xE 'testing|net/http/httptest' || true); \
	 mods=$$($(GO) version -m $(BIN) | awk '$$1=="dep"||$$1=="=>"{print $$2}' | grep -E '^($(RELEASE_BAD_MODS))' || true); \
	 if [ -n "$$bad$$std$$mods" ]; then echo "the release binary links test-only or build-only code:"; echo "$$bad$$std$$mods"; exit 1; fi; \
	 info=$$($(GO) version -m $(BIN)); \
	 for want in 'build	-trimpath=true' 'build	CGO_ENABLED=0'; do \
	   printf '%s\n' "$$info" | grep -qF "$$want" || { echo "$(BIN) was not built with $$want"; exit 1; }; \
	 done; \
	 if $(GO) tool nm $(BIN) >/dev/null 2>&1; then echo "$(BIN) has a symbol table: build it with -ldflags '-s -w'"; exit 1; fi; \
	 echo "release binary: no test-only or build-only code linked; static, stripped, -trimpath ($$(wc -c <$(BIN)) bytes)"

# Short runs of every fuzz target (FUZZTIME each).
FUZZTIME ?= 10s
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

# Store PCs are x86 mini-PCs and ARM boards.
cross:
	CGO_ENABLED=0 GOOS=linux   GOARCH=amd64           $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/aura-edge-linux-amd64       ./cmd/aura-edge
	GOOS=linux   GOARCH=arm64           $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/aura-edge-linux-arm64       ./cmd/aura-edge
	GOOS=linux   GOARCH=arm GOARM=7     $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/aura-edge-linux-armv7       ./cmd/aura-edge
	GOOS=windows GOARCH=amd64           $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/aura-edge-windows-amd64.exe ./cmd/aura-edge
	GOOS=darwin  GOARCH=arm64           $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/aura-edge-darwin-arm64      ./cmd/aura-edge

# Debian packages for store PCs: dist/aura-edge_<version>_<arch>.deb (nfpm,
# packaging/mkdeb). `make lintian` checks them.
DEB_ARCHES ?= amd64 arm64
package:
	@for a in $(DEB_ARCHES); do \
	  CGO_ENABLED=0 GOOS=linux GOARCH=$$a $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/aura-edge-linux-$$a ./cmd/aura-edge || exit 1; \
	  $(GO) run ./packaging/mkdeb -bin bin/aura-edge-linux-$$a -arch $$a -version $(VERSION) -out dist || exit 1; \
	done

lintian: package
	lintian --fail-on error,warning $(foreach a,$(DEB_ARCHES),dist/aura-edge_*_$(a).deb)

clean:
	rm -rf bin dist
