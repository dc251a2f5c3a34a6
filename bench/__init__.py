"""`make bench`: what keeping key material out of Terraform state costs, measured side by side.

Every contender runs against one local AWS (the offline stack) in interleaved rounds, so
load from other work on the machine falls on all contenders alike; the tables report medians
and ratios, never absolute goals. Nothing here runs under `make test`.
"""
