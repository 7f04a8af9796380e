# Parley's two commands for newcomers: `make run` and `make test`. Everything else is for developers.
SHELL := /bin/bash
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

RELEASE_DIR := build/release
DEBUG_DIR := build/debug
SANITIZE_DIR := build/sanitize

.PHONY: run test bench sanitize-test format lint bootstrap build-release build-debug clean deploy-test deploy-check

bootstrap:
	@scripts/bootstrap

$(RELEASE_DIR)/build.ninja:
	cmake -S . -B $(RELEASE_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release -DPARLEY_BUILD_TESTS=OFF $(CMAKE_FLAGS)

$(DEBUG_DIR)/build.ninja:
	cmake -S . -B $(DEBUG_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Debug $(CMAKE_FLAGS)

$(SANITIZE_DIR)/build.ninja:
	cmake -S . -B $(SANITIZE_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Sanitize -DPARLEY_BUILD_BENCH=OFF $(CMAKE_FLAGS)

build-release: bootstrap $(RELEASE_DIR)/build.ninja
	cmake --build $(RELEASE_DIR) --target parley -j $(JOBS)

build-debug: bootstrap $(DEBUG_DIR)/build.ninja
	cmake --build $(DEBUG_DIR) -j $(JOBS)

# Serves the embedded default (SQLite under ./var, in-process cache and queue) on :8000.
run: build-release
	@mkdir -p var
	exec $(RELEASE_DIR)/parley all

# Builds once, starts the test servers in a private folder, runs every suite, stops the servers.
# run-tests builds, so that RabbitMQ, slow to boot, boots during the build (scripts/run-tests).
test: bootstrap $(DEBUG_DIR)/build.ninja
	@JOBS=$(JOBS) scripts/run-tests --build $(DEBUG_DIR)

sanitize-test: bootstrap $(SANITIZE_DIR)/build.ninja
	@JOBS=$(JOBS) ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 scripts/run-tests --build $(SANITIZE_DIR)

bench:
	@scripts/bootstrap --bench
	@cmake -S . -B $(RELEASE_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release -DPARLEY_BUILD_TESTS=OFF $(CMAKE_FLAGS) >/dev/null
	cmake --build $(RELEASE_DIR) -j $(JOBS)
	@bench/http.sh $(RELEASE_DIR)/parley
	@bench/messages.sh $(RELEASE_DIR)/parley
	@bench/graphql.sh $(RELEASE_DIR)/parley
	@bench/ratelimit.sh $(RELEASE_DIR)
	@bench/jobs.sh $(RELEASE_DIR)/parley
	@bench/cold_start.sh $(RELEASE_DIR)/parley
	@bench/realtime.sh $(RELEASE_DIR)/parley $(RELEASE_DIR)/bench/wsload/wsload

# Deployment, the long form (docs/deployment.md#checks): builds the container image, proves it,
# then runs two `serve` replicas behind nginx on one PostgreSQL and Redis with real-time clients
# connected, kills one (SIGKILL), rolls the other (SIGTERM) and checks nothing acknowledged is lost.
# Not part of `make test`, which runs the short form (scripts/check-deploy, ctest deploy.manifests).
deploy-test: build-release
	@scripts/bootstrap --deploy
	@scripts/check-deploy
	@scripts/build-image --jobs $(JOBS)
	@scripts/deploy-test --image localhost/parley:latest --compose --kube $(RELEASE_DIR)/parley

deploy-check:
	@scripts/check-deploy

format:
	@git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

lint: bootstrap
	@scripts/lint

clean:
	rm -rf build
