# Conveniences; the README's two commands are the reference.
.PHONY: install book test bench clean
install:
	python3 -m venv .venv && .venv/bin/pip install -r requirements.txt
book:
	.venv/bin/jupyter-book build . -W -n --keep-going
test:
	.venv/bin/python -m pytest
bench:
	XLA_FLAGS=--xla_force_host_platform_device_count=2 .venv/bin/python benchmarks/run.py
clean:
	rm -rf _build
