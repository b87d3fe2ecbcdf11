# Thin wrappers over go. See README.md.
GO ?= go
BIN := bin/qualbridge

.PHONY: all site serve verifier demo test lint bench bench-verifier fuzz golden clean

all: test

$(BIN): FORCE
	$(GO) build -o $(BIN) ./cmd/qualbridge

site: $(BIN)
	./$(BIN) build -src . -out public

serve: $(BIN)
	./$(BIN) serve -src . -out public

test:
	$(GO) test ./...

lint:
	@test -z "$$(gofmt -l . | tee /dev/stderr)" || (echo "gofmt: files above need formatting" && exit 1)
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

fuzz:
	$(GO) test -run '^$$' -fuzz FuzzLoad -fuzztime 30s ./generator/catalog

golden:
	$(GO) test ./... -update

clean:
	rm -rf bin public public.* .bench

FORCE:
