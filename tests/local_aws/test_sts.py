"""STS AssumeRole at the local AWS's one endpoint, who made each call, and roles that cannot
be assumed (issue 21, item 4): the helper's assume_role path is tested against these."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from localaws import sts
from offline.stack import OfflineStack

ACCOUNT = "123456789012"
ROOT = f"arn:aws:iam::{ACCOUNT}:root"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OfflineStack]:
    with OfflineStack(tmp_path_factory.mktemp("sts")).serving() as running:
        yield running


@pytest.fixture
def aws(stack: OfflineStack) -> OfflineStack:
    stack.reset()
    return stack


def _client(stack: OfflineStack, service: str, credentials: dict[str, str] | None = None) -> Any:
    if not credentials:
        return stack.client(service)
    return stack.client(
        service,
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )


def _role(stack: OfflineStack, name: str, principal: Any, **condition: Any) -> str:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": principal,
        "Action": "sts:AssumeRole",
    }
    if condition:
        statement["Condition"] = condition
    trust = {"Version": "2012-10-17", "Statement": [statement]}
    role = _client(stack, "iam").create_role(
        RoleName=name, AssumeRolePolicyDocument=json.dumps(trust)
    )
    return str(role["Role"]["Arn"])


def _assume(stack: OfflineStack, role_arn: str, **extra: Any) -> dict[str, Any]:
    return dict(
        _client(stack, "sts").assume_role(RoleArn=role_arn, RoleSessionName="deploy", **extra)
    )


def _calls(stack: OfflineStack) -> list[dict[str, str]]:
    record = stack.control("GET", "/_localaws/calls")
    assert isinstance(record, list)
    return record


def test_each_assumed_session_has_its_own_access_key_and_identity(aws: OfflineStack) -> None:
    role_arn = _role(aws, "deployer", {"AWS": ROOT})
    first, second = _assume(aws, role_arn), _assume(aws, role_arn)
    keys = {first["Credentials"]["AccessKeyId"], second["Credentials"]["AccessKeyId"]}
    assert len(keys) == 2 and "testing" not in keys
    identity = _client(aws, "sts", first["Credentials"]).get_caller_identity()
    assert identity["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/deployer/deploy"
    assert identity["Arn"] == first["AssumedRoleUser"]["Arn"]


def test_the_call_record_names_each_callers_access_key(aws: OfflineStack) -> None:
    role_arn = _role(aws, "importer", {"AWS": ROOT})
    assumed = _assume(aws, role_arn)["Credentials"]
    key_id = _client(aws, "kms", assumed).create_key()["KeyMetadata"]["KeyId"]
    _client(aws, "kms").describe_key(KeyId=key_id)
    record = {(c["action"], c.get("access_key_id")) for c in _calls(aws)}
    assert ("AssumeRole", "testing") in record
    assert ("CreateKey", assumed["AccessKeyId"]) in record
    assert ("DescribeKey", "testing") in record
    assert all(c.get("access_key_id") for c in _calls(aws))


def test_by_default_any_role_can_be_assumed_as_moto_does(aws: OfflineStack) -> None:
    assert aws.control("GET", "/_localaws/sts") == {"check_roles": False}
    assumed = _assume(aws, f"arn:aws:iam::{ACCOUNT}:role/nobody-made-this")
    assert assumed["Credentials"]["AccessKeyId"]


def test_a_role_that_does_not_exist_cannot_be_assumed_when_checked(aws: OfflineStack) -> None:
    aws.control("POST", "/_localaws/sts", {"check_roles": True})
    missing = f"arn:aws:iam::{ACCOUNT}:role/nobody-made-this"
    with pytest.raises(ClientError) as denied:
        _assume(aws, missing)
    error = denied.value.response["Error"]
    assert error["Code"] == "AccessDenied"
    assert error["Message"] == (
        f"User: arn:aws:sts::{ACCOUNT}:user/moto is not authorized to perform: "
        f"sts:AssumeRole on resource: {missing}"
    )
    assert denied.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_a_trust_policy_that_does_not_name_the_caller_refuses_it(aws: OfflineStack) -> None:
    aws.control("POST", "/_localaws/sts", {"check_roles": True})
    ec2_only = _role(aws, "ec2-only", {"Service": "ec2.amazonaws.com"})
    other_account = _role(aws, "other-account", {"AWS": "arn:aws:iam::210987654321:root"})
    for role_arn in (ec2_only, other_account):
        with pytest.raises(ClientError, match="AccessDenied"):
            _assume(aws, role_arn)
    assert _assume(aws, _role(aws, "trusting", {"AWS": ACCOUNT}))["Credentials"]


def test_external_id_conditions_are_honoured(aws: OfflineStack) -> None:
    aws.control("POST", "/_localaws/sts", {"check_roles": True})
    role_arn = _role(aws, "partner", {"AWS": ROOT}, StringEquals={"sts:ExternalId": "ticket-42"})
    with pytest.raises(ClientError, match="AccessDenied"):
        _assume(aws, role_arn)
    with pytest.raises(ClientError, match="AccessDenied"):
        _assume(aws, role_arn, ExternalId="ticket-41")
    assert _assume(aws, role_arn, ExternalId="ticket-42")["Credentials"]


def test_a_role_chained_from_an_assumed_role_is_trusted_by_role_arn(aws: OfflineStack) -> None:
    aws.control("POST", "/_localaws/sts", {"check_roles": True})
    hop = _role(aws, "hop", {"AWS": ROOT})
    target = _role(aws, "target", {"AWS": hop})
    hop_credentials = _assume(aws, hop)["Credentials"]
    with pytest.raises(ClientError, match="AccessDenied"):
        _assume(aws, target)  # the root is not named by target's trust policy
    chained = _client(aws, "sts", hop_credentials).assume_role(
        RoleArn=target, RoleSessionName="chained"
    )
    assert chained["AssumedRoleUser"]["Arn"].endswith(":assumed-role/target/chained")


def test_reset_switches_the_check_off(aws: OfflineStack) -> None:
    aws.control("POST", "/_localaws/sts", {"check_roles": True})
    aws.reset()
    assert aws.control("GET", "/_localaws/sts") == {"check_roles": False}


def test_an_explicit_deny_wins() -> None:
    caller = sts.Caller(arn=ROOT, account_id=ACCOUNT, principals=frozenset({ROOT, ACCOUNT}))
    allow = {"Effect": "Allow", "Principal": {"AWS": ROOT}, "Action": "sts:*"}
    deny = {"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole"}
    assert sts.trusts({"Statement": [allow]}, caller, {})
    assert not sts.trusts({"Statement": [allow, deny]}, caller, {})
    assert not sts.trusts({"Statement": [{**allow, "Condition": {"Bool": {"x": "y"}}}]}, caller, {})
