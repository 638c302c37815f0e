# aura-edge — the two commands a newcomer needs: `make demo` and `make test`.
GO        ?= go
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X github.com/auraconnect/aura-edge/internal/version.Version=$(VERSION)
BIN       := bin/aura-edge
PKGS      := ./...

.PHONY: all build test soak demo bench bench-all lint release-check cross fuzz clean openapi package lintian

all: lint test build

build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/aura-edge

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

# Regenerate the local API's OpenAPI document and JSON Schemas from the code
# (a test fails while they are out of date).
openapi:
	$(GO) test -count=1 -run TestGenerated ./internal/localapi/openapi -update

lint: release-check
	$(GO) vet $(PKGS)
	$(GO) vet -tags demo ./cmd/aura-edge
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# The release binary ships to stores: it must not link the testing package,
# httptest, the vendor or printer stand-ins, or the embedded test broker.
release-check:
	@bad=$$($(GO) list -deps -f '{{if not .Standard}}{{.ImportPath}}{{end}}' ./cmd/aura-edge | grep -E 'mochi-mqtt|test$$|/testkit$$' || true); \
	 std=$$($(GO) list -deps ./cmd/aura-edge | grep -xE 'testing|net/http/httptest' || true); \
	 if [ -n "$$bad$$std" ]; then echo "the release binary links test-only code:"; echo "$$bad$$std"; exit 1; fi; \
	 echo "release binary: no test-only code linked"

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
	GOOS=linux   GOARCH=amd64           $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/aura-edge-linux-amd64       ./cmd/aura-edge
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
