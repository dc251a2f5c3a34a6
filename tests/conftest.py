"""Suite-wide fixtures: tests/support/offline/fixtures.py (offline_stack, tf) and
tests/support/softhsm.py (softhsm, a SoftHSM2 token)."""

pytest_plugins = ["offline.fixtures", "softhsm"]
