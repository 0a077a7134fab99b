# The README's commands. Each one sets up what it needs on a fresh machine.
.PHONY: run test lint audit bench cluster cluster-down cluster-build token

BENCH ?=
NAME ?= cli
DAYS ?=

run:
	bash scripts/run.sh

test:
	bash scripts/test.sh $(PYTEST_ARGS)

lint:
	bash scripts/lint.sh

audit:
	bash scripts/audit.sh

bench:
	bash scripts/bench.sh "$(BENCH)"

cluster:
	bash scripts/cluster/up.sh

cluster-down:
	bash scripts/cluster/down.sh

cluster-build:
	bash scripts/cluster/build.sh

# A personal API token for USER, printed alone on stdout: TOKEN=$(make token USER=alice).
token:
	@test "$(origin USER)" = "command line" || { echo "usage: make token USER=<username> [NAME=ci] [DAYS=90]" >&2; exit 2; }
	@bash scripts/manage.sh create_token "$(USER)" --name "$(NAME)" $(if $(DAYS),--days "$(DAYS)")
