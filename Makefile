# The README's commands. Each one sets up what it needs on a fresh machine.
.PHONY: run test lint bench cluster cluster-down cluster-build

BENCH ?=

run:
	bash scripts/run.sh

test:
	bash scripts/test.sh $(PYTEST_ARGS)

lint:
	bash scripts/lint.sh

bench:
	bash scripts/bench.sh "$(BENCH)"

cluster:
	bash scripts/cluster/up.sh

cluster-down:
	bash scripts/cluster/down.sh

cluster-build:
	bash scripts/cluster/build.sh
