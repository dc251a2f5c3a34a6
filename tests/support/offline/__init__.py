"""The offline stack: a local AWS (moto + the project's add-on) and the provider stand-ins.

`offline-stack up|down|env|install` backs `make offline-up`, `make offline-down`,
`make -s offline-env` and the venv set-up; tests use `OfflineStack` directly for an isolated
instance per run.
"""
