# The two quick-start commands (README): `make demo` and `make test`. Both set everything up.
.PHONY: demo test bench lint

demo:
	bash scripts/bootstrap.sh demo

test:
	bash scripts/bootstrap.sh test

bench:
	bash scripts/bootstrap.sh test --co -q >/dev/null 2>&1 || true
	.venv/bin/python bench/run.py
