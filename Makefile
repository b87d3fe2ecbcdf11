# Thin wrappers over go. See README.md.
GO ?= go
BIN := bin/qualbridge

.PHONY: all site serve verifier demo test lint bench bench-verifier fuzz golden clean
DEMO_PASSPHRASE ?= demo passphrase
VERIFIER_ADDR ?= 127.0.0.1:8089

all: test

$(BIN): FORCE
	$(GO) build -o $(BIN) ./cmd/qualbridge

site: $(BIN)
	./$(BIN) build -src . -out public

serve: $(BIN)
	./$(BIN) serve -src .

test:
	$(GO) test ./...

lint:
	@test -z "$$(gofmt -l . | tee /dev/stderr)" || (echo "gofmt: files above need formatting" && exit 1)
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

# demo: a fresh demo registry with a TEST root of trust, a signing key,
# the fictional batch (QR codes and printable certificates in demo/out)
# and its verifier snapshot in demo/out/snapshot. Every key is TEST-ONLY
# and age-encrypted under DEMO_PASSPHRASE.
demo: $(BIN)
	rm -rf demo/out
	QUALBRIDGE_PASSPHRASE='$(DEMO_PASSPHRASE)' ./$(BIN) trust init -registry demo/out/registry \
		-root-key demo/out/TEST-root-key.age -timestamp-key demo/out/TEST-timestamp-key.age -pepper-out demo/out/lookup-pepper
	QUALBRIDGE_PASSPHRASE='$(DEMO_PASSPHRASE)' ./$(BIN) keygen -registry demo/out/registry -key demo/out/TEST-signing-key.age \
		-root-key demo/out/TEST-root-key.age
	QUALBRIDGE_PASSPHRASE='$(DEMO_PASSPHRASE)' ./$(BIN) issue -registry demo/out/registry -key demo/out/TEST-signing-key.age \
		-recipients-file demo/testdata/TEST-ONLY-centre-recipient.txt -verifier http://$(VERIFIER_ADDR) \
		-out demo/out demo/applicants.toml
	QUALBRIDGE_PASSPHRASE='$(DEMO_PASSPHRASE)' ./$(BIN) publish -registry demo/out/registry \
		-timestamp-key demo/out/TEST-timestamp-key.age -out demo/out/snapshot

# verifier: the verification service on the demo snapshot, pinned to the
# demo registry's root (make demo writes both). It reloads the snapshot
# when publish replaces its head; its high-water marks survive restarts.
# Logs are text lines (key=value), easier to read in a terminal than the
# service's default JSON.
verifier:
	$(GO) run ./cmd/verifier -addr $(VERIFIER_ADDR) -snapshot demo/out/snapshot \
		-trust-root demo/out/registry/trust-root.pub -state demo/out/verifier-state \
		-lookup-pepper demo/out/lookup-pepper -poll 2s -log-format text

bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 3x ./generator/... ./verifier/...
	$(GO) test -run '^$$' -bench Issue10k -benchtime 1x ./cmd/qualbridge ./issuance

bench-verifier:
	$(GO) run ./bench/verifier

FUZZTIME ?= 20s
# A Load of the test catalog takes ~2.5 ms, so Go's default minimisation of
# each new input (up to 60 s) stalls the catalog fuzzers at 0 execs/s for
# most of a short run; 200 tries keep them at a steady rate.
FUZZMIN := -fuzzminimizetime 200x
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzLoad$$' -fuzztime $(FUZZTIME) $(FUZZMIN) ./generator/catalog
	$(GO) test -run '^$$' -fuzz '^FuzzPage$$' -fuzztime $(FUZZTIME) $(FUZZMIN) ./generator/catalog
	$(GO) test -run '^$$' -fuzz '^FuzzVerify$$' -fuzztime $(FUZZTIME) ./verifier/record
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME) ./verifier/record
	$(GO) test -run '^$$' -fuzz '^FuzzParseToken$$' -fuzztime $(FUZZTIME) ./verifier/record
	$(GO) test -run '^$$' -fuzz '^FuzzOpenCertificate$$' -fuzztime $(FUZZTIME) ./verifier/record
	$(GO) test -run '^$$' -fuzz '^FuzzReaders$$' -fuzztime $(FUZZTIME) ./verifier/trust
	$(GO) test -run '^$$' -fuzz '^FuzzLoad$$' -fuzztime $(FUZZTIME) ./verifier/trust
	$(GO) test -run '^$$' -fuzz '^FuzzParsePin$$' -fuzztime $(FUZZTIME) ./verifier/trust
	$(GO) test -run '^$$' -fuzz '^FuzzReadMarks$$' -fuzztime $(FUZZTIME) ./verifier/trust
	$(GO) test -run '^$$' -fuzz '^FuzzOpen$$' -fuzztime $(FUZZTIME) ./verifier/seal
	$(GO) test -run '^$$' -fuzz '^FuzzOpenPlaintext$$' -fuzztime $(FUZZTIME) ./verifier/seal
	$(GO) test -run '^$$' -fuzz '^FuzzNormalize$$' -fuzztime $(FUZZTIME) ./verifier/seal
	$(GO) test -run '^$$' -fuzz '^FuzzParsePepper$$' -fuzztime $(FUZZTIME) ./verifier/seal
	$(GO) test -run '^$$' -fuzz '^FuzzConvert$$' -fuzztime $(FUZZTIME) ./generator/hant
	$(GO) test -run '^$$' -fuzz '^FuzzReadCSV$$' -fuzztime $(FUZZTIME) ./generator/annex
	$(GO) test -run '^$$' -fuzz '^FuzzReadHTML$$' -fuzztime $(FUZZTIME) ./generator/annex
	$(GO) test -run '^$$' -fuzz '^FuzzParseApplicants$$' -fuzztime $(FUZZTIME) ./issuance
	$(GO) test -run '^$$' -fuzz '^FuzzRegistryFiles$$' -fuzztime $(FUZZTIME) ./issuance
	$(GO) test -run '^$$' -fuzz '^FuzzRevocationList$$' -fuzztime $(FUZZTIME) ./issuance

# golden: rewrite the golden files, in the packages that have them (the
# -update flag exists only there).
GOLDEN_PKGS := ./generator ./verifier/record
golden:
	$(GO) test $(GOLDEN_PKGS) -update

clean:
	rm -rf bin public public.* .bench demo/out

FORCE:
