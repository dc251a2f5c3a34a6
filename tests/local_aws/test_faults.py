"""Fault switches: throttling, latency, and NotFound right after CreateKey."""

from __future__ import annotations

import time

import pytest
from kms_conformance import expect_error

from localaws import faults


def test_full_throttling_answers_throttling_exception(kms):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]  # CreateKey is never faulted
    faults.configure(throttle_rate=1.0)
    expect_error("ThrottlingException", kms.describe_key, KeyId=key_id)
    faults.reset()
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyId"] == key_id


def test_partial_throttling_hits_some_calls(kms):
    import boto3
    from botocore.config import Config

    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    no_retry = boto3.client(
        "kms",
        region_name="us-east-1",
        # total_max_attempts, not max_attempts (= retries after the first): with one retry
        # the throttled calls slept in backoff, ~8 s of this suite.
        config=Config(retries={"total_max_attempts": 1, "mode": "standard"}),
    )
    faults.configure(throttle_rate=0.5)
    outcomes = []
    for _ in range(40):
        try:
            no_retry.describe_key(KeyId=key_id)
            outcomes.append("ok")
        except no_retry.exceptions.ClientError as exc:
            outcomes.append(exc.response["Error"]["Code"])
    assert {"ok", "ThrottlingException"} == set(outcomes)


def test_new_key_is_not_found_for_a_while(kms):
    faults.configure(not_found_after_create_s=60)
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    expect_error("NotFoundException", kms.describe_key, KeyId=key_id)
    faults.configure(not_found_after_create_s=0.01)
    time.sleep(0.02)  # real time: eventual consistency is measured on the wall clock
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyId"] == key_id


def test_latency_is_added(kms):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    faults.configure(latency_ms=150)
    started = time.perf_counter()
    kms.describe_key(KeyId=key_id)
    assert time.perf_counter() - started >= 0.15


def test_bad_switches_are_refused():
    with pytest.raises(ValueError):
        faults.configure(throttle_rate=2)
    with pytest.raises(TypeError):
        faults.configure(explode=True)
