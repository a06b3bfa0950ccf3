# The two quick-start commands (README): `make demo` and `make test`. Both set everything up.
.PHONY: demo test bench lint

demo:
	bash scripts/bootstrap.sh demo

test:
	bash scripts/bootstrap.sh test

# `make bench CASES="cli maturity"` re-times a subset; other rows of bench/RESULTS.md stay.
bench:
	bash scripts/bootstrap.sh bench $(CASES)
