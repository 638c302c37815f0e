# aura-edge — the two commands a newcomer needs: `make demo` and `make test`.
GO        ?= go
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X github.com/auraconnect/aura-edge/internal/version.Version=$(VERSION)
BIN       := bin/aura-edge
PKGS      := ./...

.PHONY: all build test demo bench bench-all lint cross fuzz clean package lintian

all: lint test build

build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/aura-edge

# The whole suite, with the race detector. Tests that need mosquitto or socat
# fail (not skip) when CI=true.
test:
	$(GO) test -race -count=1 -timeout 25m $(PKGS)

# The main job on embedded defaults: embedded broker as the cloud, a stand-in
# POS vendor, a virtual printer. No config and no external service needed.
demo:
	$(GO) run ./cmd/aura-edge demo --duration 15s

# The performance targets, each with a benchtime that makes its figure
# meaningful (README "Measured" quotes these). Needs mosquitto for Drain.
bench:
	$(GO) test -run '^$$' -bench Capture -benchtime 20000x ./internal/localapi
	$(GO) test -run '^$$' -bench Drain -benchtime 2x -timeout 20m ./internal/cloud
	$(GO) test -run '^$$' -bench StartReady1M -benchtime 3x -timeout 20m ./internal/daemon
	$(GO) test -run '^$$' -bench IdleRSS -benchtime 1x ./cmd/aura-edge
	$(GO) test -run '^$$' -bench 'Receipt40Lines$$' -benchmem ./internal/receipt
	$(GO) test -run '^$$' -bench 'Receipt$$' -benchmem ./drivers/escpos
	$(GO) test -run '^$$' -bench OrderToPrinter -benchtime 500x ./internal/spool
	$(GO) test -run '^$$' -bench 'Append|PeekAckDrain' -benchmem ./internal/outbox

# Every benchmark of every package once (a smoke run, not for figures).
bench-all:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 1x -timeout 30m $(PKGS)

lint:
	$(GO) vet $(PKGS)
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

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
