"""Suite-wide fixtures live in tests/support/offline/fixtures.py (offline_stack, tf)."""

pytest_plugins = ["offline.fixtures"]
