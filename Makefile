# Virtual Postmaster. `make run` serves the console on http://127.0.0.1:8000; `make test` runs
# every test. Both first install what is missing, from the package registries only.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

# wasm-opt (npm's binaryen) and the browser-test packages live in end2end/node_modules.
export PATH := $(CURDIR)/end2end/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)

CARGO_LEPTOS_VERSION := 0.3.9
# wasm-bindgen-cli must match the wasm-bindgen crate exactly: read its version from Cargo.lock.
WASM_BINDGEN_VERSION := $(shell sed -n '/^name = "wasm-bindgen"$$/{n;s/^version = "\(.*\)"$$/\1/p;}' Cargo.lock)
# The pgsql packages give Dovecot and Postfix the drivers for a console on PostgreSQL;
# postgresql-15 is the server that server/tests/with-postgres runs privately for the tests;
# iproute2 brings up the loopback of the private root that runs the README's mail set-up;
# curl is what `make run` tells a newcomer to send and read the demo's mail with.
APT_PACKAGES := chromium chromium-driver dovecot-core dovecot-pop3d dovecot-imapd dovecot-sqlite \
	dovecot-pgsql dovecot-lmtpd dovecot-sieve postfix postfix-sqlite postfix-pgsql postgresql-15 \
	iproute2 curl
BIN := target/release/vpostmaster
DATA_DIR ?= ./data

.PHONY: run build test bench tools lint floors unit-tests wasm-tests browser-tests clean docs-screenshots \
	reliability reliability-fuzz reliability-load reliability-crash \
	wasm-target cargo-leptos wasm-bindgen apt-packages mail-user

# As root, the demo domain's mail is served too, by a private Postfix and Dovecot on loopback
# ports that stop with the console.
run: build
	if [ "$$(id -u)" = 0 ]; then \
	  $(BIN) --data-dir $(DATA_DIR) demo --mail-account; \
	  $(BIN) --data-dir $(DATA_DIR) demo-mail-server & trap 'kill $$! 2>/dev/null; wait' EXIT; \
	else \
	  $(BIN) --data-dir $(DATA_DIR) demo; \
	  echo "Serving the console alone: the demo's Postfix and Dovecot need root (run make run as root)."; \
	fi; \
	$(BIN) --data-dir $(DATA_DIR) serve

## The release: server binary in target/release, site (WASM after wasm-opt, CSS, and their
## brotli and gzip files, served to browsers that accept them) in target/site.
build: tools
	cargo leptos build --release --precompress

test: tools lint unit-tests wasm-tests build browser-tests

lint: floors
	cargo fmt --all --check
	cargo clippy -p app --all-targets -- -D warnings
	cargo clippy -p app --features ssr --all-targets -- -D warnings
	cargo clippy -p server --all-targets -- -D warnings
	cargo clippy -p frontend --target wasm32-unknown-unknown -- -D warnings

## The server code's floors (docs/architecture.md): each imports only from those beneath it, so
## storage names nothing of access or services, access nothing of services, the error type and
## the request's context nothing of ssr; the binary reaches the app through ssr's face alone,
## never through its screens or server functions.
floors:
	! grep -rnE 'ssr::(access|services)\b' app/src/ssr/storage
	! grep -rnE 'ssr::services\b' app/src/ssr/access
	! grep -rnE '\bssr::' app/src/error.rs app/src/error app/src/context.rs
	! grep -rnE 'app::ssr::(storage|access|services)\b' server/src
	! grep -rnE 'app::(pages|components|api)\b' server/src

## The server suite runs twice: on SQLite, the default, and on a private PostgreSQL that
## server/tests/with-postgres starts for it and always removes.
unit-tests:
	cargo test -p app
	cargo test -p app --features ssr
	cargo test -p server
	server/tests/with-postgres cargo test -p server

## The rules compiled to WASM must give the native verdicts, in headless Chromium
## (app/webdriver.json holds its flags). `hydrate` builds app as the browser gets it,
## which also gives getrandom its browser backend.
WASM_TEST := CHROMEDRIVER=/usr/bin/chromedriver \
	CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
	cargo test -p app --features hydrate --target wasm32-unknown-unknown

wasm-tests:
	$(WASM_TEST) --test validate_wasm

browser-tests:
	cd end2end && VPM_BIN=$(CURDIR)/$(BIN) npm test

## The screenshots of docs/: the console filled through its screens, saved at desktop and
## phone width in docs/screenshots/.
docs-screenshots: build
	cd end2end && VPM_BIN=$(CURDIR)/$(BIN) node docs/screenshots.mjs

bench: build
	cargo run --release -p app --example bench_validate
	$(WASM_TEST) --release --test bench_validate_wasm -- --nocapture
	cd end2end && VPM_BIN=$(CURDIR)/$(BIN) node bench/log_on.mjs
	cd end2end && VPM_BIN=$(CURDIR)/$(BIN) node bench/accounts.mjs
	command -v wrk >/dev/null || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends wrk; }
	cd end2end && VPM_BIN=$(CURDIR)/$(BIN) node bench/scale.mjs
	cd end2end && VPM_BIN=$(CURDIR)/$(BIN) ../server/tests/with-postgres node bench/scale.mjs
	cd end2end && node bench/wasm_size.mjs
	cd end2end && VPM_BIN=$(CURDIR)/$(BIN) node bench/navigation.mjs
	cargo run --release -p server --example bench_mail
	cargo run --release -p server --example bench_delivery
	cargo run --release -p server --example bench_aliases

## The reliability suite: long, bounded, loopback only, and not part of `make test`. Each part
## prints its figures and writes its section of docs/reliability.md.
reliability: reliability-fuzz reliability-load reliability-crash

# FUZZ_CASES inputs per target (fewer for the costly ones; see end2end/bench/fuzz.mjs).
FUZZ_CASES ?= 1000000
reliability-fuzz:
	FUZZ_CASES=$(FUZZ_CASES) node end2end/bench/fuzz.mjs

# wrk from Debian, installed only when missing.
reliability-load: build
	command -v wrk >/dev/null || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends wrk; }
	cd end2end && VPM_BIN=$(CURDIR)/$(BIN) node bench/load.mjs

reliability-crash:
	cargo run --release -p server --example crash_trials

## Tools: each installed only when missing, so a second run needs no network.
tools: wasm-target cargo-leptos wasm-bindgen apt-packages mail-user end2end/node_modules/.package-lock.json

wasm-target:
	rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown

cargo-leptos:
	cargo leptos --version 2>/dev/null | grep -qF "$(CARGO_LEPTOS_VERSION)" || \
	  CARGO_PROFILE_DEV_DEBUG=0 cargo install cargo-leptos --version $(CARGO_LEPTOS_VERSION) --locked --debug

# Not --locked: the CLI's own lockfile names a crate the registry no longer has.
wasm-bindgen:
	wasm-bindgen --version 2>/dev/null | grep -qF " $(WASM_BINDGEN_VERSION)" || \
	  cargo install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION)

apt-packages:
	missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo 'postfix postfix/main_mailer_type select No configuration' | debconf-set-selections; \
	  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing; \
	fi

# The user Dovecot reads mail as, made as README.md's "Mail server" makes it: its group is
# Postfix's, whose lookups read the database with it. A server run as root hands it the
# database and the Maildirs.
mail-user: apt-packages
	if [ "$$(id -u)" = 0 ]; then \
	  if ! id vmail >/dev/null 2>&1; then \
	    useradd --system --gid postfix --no-create-home --shell /usr/sbin/nologin vmail; \
	  elif [ "$$(id -gn vmail)" != postfix ]; then \
	    usermod --gid postfix vmail; \
	  fi; \
	fi

end2end/node_modules/.package-lock.json: end2end/package-lock.json
	cd end2end && npm ci --no-audit --no-fund

clean:
	cargo clean
	rm -rf end2end/node_modules end2end/screenshots
