"""Key policies, grants and the least-privilege importer policy, through real Terraform.

ONE apply of the repo root with owners, administrators, users, service users, an extra
statement and a grant on two generations whose material lives in AWS (a generated one
escrowed in Secrets Manager, left disabled, and an SSM SecureString). Then: the policies read
back with GetKeyPolicy, the grants with ListGrants, every call the helper made at the local
AWS allowed by the `importer_policy_json` output with its conditions evaluated, none allowed
without its statement, the same calls with another wrapping, expiration model, encryption
context or tag key denied, plan -detailed-exitcode 0, and the leak scan. A plan-only test
shows the lock-out-safe default.
"""

from __future__ import annotations

import base64
import json
import os
from typing import Any

import pytest
from iameval import ACCOUNT, Request, allowed, requests_for_call, without_statement

from .workspace import Workspace, key_address

pytestmark = pytest.mark.e2e

ROLE = f"arn:aws:iam::{ACCOUNT}:role"
OWNER, ADMIN, APP, SERVICE = (f"{ROLE}/{n}" for n in ("KeyOwner", "KeyAdmin", "App", "Service"))
ESCROW = "kms-import/escrow"
PARAMETER = "/kms-test/g2"
FINGERPRINT = "hmac-sha256:" + "0" * 32  # plan-only: no material anywhere


def _client(ws: Workspace, service: str) -> Any:
    return ws.stack.client(service)


def _roles(ws: Workspace) -> None:
    """The principals exist, as real KMS requires of a key policy's and a grant's principals."""
    iam = _client(ws, "iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": "sts:AssumeRole"}
        ],
    }
    for arn in (OWNER, ADMIN, APP, SERVICE):
        iam.create_role(RoleName=arn.rsplit("/", 1)[1], AssumeRolePolicyDocument=json.dumps(trust))


def _statements(ws: Workspace, key_arn: str) -> dict[str, dict[str, Any]]:
    text = ws.kms().get_key_policy(KeyId=key_arn, PolicyName="default")["Policy"]
    return {s["Sid"]: s for s in json.loads(text)["Statement"]}


def _listed(value: Any) -> set[str]:
    return {value} if isinstance(value, str) else set(value)


def _secret_arn(ws: Workspace) -> Any:
    sm = _client(ws, "secretsmanager")

    def resolve(name: str, region: str) -> str:
        return str(sm.describe_secret(SecretId=name)["ARN"])

    return resolve


def test_policies_grants_and_least_privilege_importer(workspace, clean_stack):
    _roles(workspace)
    g2_material = os.urandom(32)
    _client(workspace, "ssm").put_parameter(
        Name=PARAMETER, Value=base64.b64encode(g2_material).decode(), Type="SecureString"
    )
    workspace.write_vars(
        generations={
            "g1": {
                "material_source": f"generate:g1?escrow=secretsmanager:{ESCROW}",
                "enabled": False,
            },
            "g2": {"material_source": f"ssm:{PARAMETER}?format=base64"},
        },
        active_generation="g2",
        key_owners=[OWNER],
        key_administrators=[ADMIN],
        key_users=[APP],
        key_service_users=[SERVICE],
        key_statements=[
            {
                "sid": "DenyDeletionByApp",
                "effect": "Deny",
                "actions": ["kms:ScheduleKeyDeletion"],
                "principals": [{"type": "AWS", "identifiers": [APP]}],
            }
        ],
        grants={
            "app-decrypt": {
                "grantee_principal": APP,
                "operations": ["Decrypt", "DescribeKey"],
                "constraints": [{"encryption_context_equals": {"purpose": "test"}}],
            }
        },
    )
    clean_stack.control("DELETE", "/_localaws/calls")
    workspace.apply()
    calls = list(clean_stack.control("GET", "/_localaws/calls"))  # type: ignore[arg-type]
    outputs = workspace.outputs()
    arns = dict(outputs["key_arns"])

    # The key policies, read back from KMS: every role list, spec-fitting user actions.
    for gen, arn in arns.items():
        stmts = _statements(workspace, arn)
        assert set(stmts) == {
            "Enable IAM User Permissions",
            "KeyOwner",
            "KeyAdministration",
            "KeyUsage",
            "KeyServiceUsage",
            "DenyDeletionByApp",
        }, gen
        assert stmts["Enable IAM User Permissions"]["Principal"] == {
            "AWS": f"arn:aws:iam::{ACCOUNT}:root"
        }
        assert stmts["KeyOwner"]["Principal"] == {"AWS": OWNER}
        assert _listed(stmts["KeyOwner"]["Action"]) == {"kms:*"}
        admin = _listed(stmts["KeyAdministration"]["Action"])
        assert {
            "kms:GetParametersForImport",
            "kms:ImportKeyMaterial",
            "kms:DeleteImportedKeyMaterial",
            "kms:RotateKeyOnDemand",
        } <= admin
        assert not {"kms:Encrypt", "kms:Decrypt", "kms:*"} & admin  # no cryptographic use
        assert _listed(stmts["KeyUsage"]["Action"]) == {
            "kms:Decrypt",
            "kms:DescribeKey",
            "kms:Encrypt",
            "kms:GenerateDataKey*",
            "kms:ReEncrypt*",
        }
        assert stmts["KeyUsage"]["Principal"] == {"AWS": APP}
        assert stmts["KeyServiceUsage"]["Condition"] == {
            "Bool": {"kms:GrantIsForAWSResource": "true"}
        }
        assert stmts["DenyDeletionByApp"]["Effect"] == "Deny"
        assert json.loads(outputs["key_policies"][gen]) == json.loads(
            workspace.kms().get_key_policy(KeyId=arn, PolicyName="default")["Policy"]
        )

        # The grant, read back from KMS, on every generation (old ones still decrypt).
        grants = workspace.kms().list_grants(KeyId=arn)["Grants"]
        assert [(g["Name"], g["GranteePrincipal"]) for g in grants] == [("app-decrypt", APP)]
        assert sorted(grants[0]["Operations"]) == ["Decrypt", "DescribeKey"]
        assert grants[0]["Constraints"] == {"EncryptionContextEquals": {"purpose": "test"}}
        assert outputs["grants"][gen]["app-decrypt"] == grants[0]["GrantId"]
    g1_state = workspace.kms().describe_key(KeyId=arns["g1"])["KeyMetadata"]["KeyState"]
    assert g1_state == "Disabled"

    # The importer policy covers every call the helper made, plan and apply alike...
    policy = json.loads(outputs["importer_policy_json"])
    helper_calls = [c for c in calls if c.get("agent") == "kms-import"]
    made = {f"{c['service']}:{c['action']}" for c in helper_calls}
    assert {
        "kms:GetParametersForImport",
        "kms:ImportKeyMaterial",
        "kms:DisableKey",
        "secretsmanager:CreateSecret",
        "secretsmanager:GetSecretValue",
        "ssm:GetParameter",
    } <= made, made
    assert not any(c["action"] == "CreateKey" for c in helper_calls)  # Terraform's, not ours
    requests = [r for c in helper_calls for r in requests_for_call(c, _secret_arn(workspace))]
    denied = [str(r) for r in requests if not allowed(policy, r)]
    assert not denied, denied

    # ...and nothing more: without any one statement some call is denied, and every action
    # is one the helper used (EnableKey only runs when `enabled` goes back to true).
    for index, statement in enumerate(policy["Statement"]):
        smaller = without_statement(policy, index)
        assert any(not allowed(smaller, r) for r in requests), statement["Sid"]
    used = {r.action for r in requests}
    for statement in policy["Statement"]:
        for action in _listed(statement["Action"]) - {"kms:EnableKey"}:
            assert action in used, (statement["Sid"], action)
    _conditions_hold(policy, requests, arns)
    other_key = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/00000000-0000-0000-0000-000000000000"
    assert not allowed(policy, Request("kms:ImportKeyMaterial", other_key))
    assert not allowed(policy, Request("kms:ScheduleKeyDeletion", arns["g1"]))
    other_secret = f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:other-AbCdEf"
    assert not allowed(policy, Request("secretsmanager:GetSecretValue", other_secret))

    assert workspace.plan_exitcode() == 0
    escrowed = _client(workspace, "secretsmanager").get_secret_value(SecretId=f"{ESCROW}/g1")
    workspace.assert_no_leak(bytes(escrowed["SecretBinary"]))
    workspace.assert_no_leak(g2_material)


def _conditions_hold(policy: dict[str, Any], requests: list[Request], arns: dict[str, str]) -> None:
    """The conditions are what keeps the policy least-privilege: the same calls with another
    value of a condition key are denied (the recorded ones above are allowed)."""
    made = {r.action: r for r in requests if r.resource in arns.values()}
    decrypt, params, imported, tag = (
        made[f"kms:{a}"]
        for a in ("Decrypt", "GetParametersForImport", "ImportKeyMaterial", "TagResource")
    )
    assert decrypt.context["kms:EncryptionContext:kms-import"] == "proof", decrypt
    assert params.context["kms:WrappingAlgorithm"] == "RSAES_OAEP_SHA_256", params
    assert imported.context["kms:ExpirationModel"] == "KEY_MATERIAL_DOES_NOT_EXPIRE", imported

    def variant(request: Request, **context: str | tuple[str, ...]) -> Request:
        return Request(request.action, request.resource, {**request.context, **context}, "variant")

    refused = {
        "Decrypt without the proof context": Request("kms:Decrypt", decrypt.resource),
        "Decrypt with another context value": variant(
            decrypt, **{"kms:EncryptionContext:kms-import": "other"}
        ),
        "Decrypt with an extra context key": variant(
            decrypt,
            **{
                "kms:EncryptionContext:app": "x",
                "kms:EncryptionContextKeys": ("app", "kms-import"),
            },
        ),
        "Encrypt without the proof context": Request("kms:Encrypt", decrypt.resource),
        "GetParametersForImport with another wrapping algorithm": variant(
            params, **{"kms:WrappingAlgorithm": "RSAES_OAEP_SHA_1"}
        ),
        "GetParametersForImport with another wrapping key spec": variant(
            params, **{"kms:WrappingKeySpec": "RSA_2048"}
        ),
        "ImportKeyMaterial with the other expiration model": variant(
            imported, **{"kms:ExpirationModel": "KEY_MATERIAL_EXPIRES"}
        ),
        "TagResource with another tag key": variant(
            tag, **{"aws:TagKeys": ("kms-import:fingerprint", "owner")}
        ),
    }
    assert not [why for why, request in refused.items() if allowed(policy, request)]
    # The drift marker is the one other tag the import run may write.
    assert allowed(policy, variant(tag, **{"aws:TagKeys": ("kms-import:drift",)}))


def _planned_policy(ws: Workspace, **variables: Any) -> str:
    ws.write_vars(
        generations={"g1": {"material_source": "generate:g1", "material_fingerprint": FINGERPRINT}},
        active_generation="g1",
        **variables,
    )
    ws.init()
    plan = ws.dir / "lockout.tfplan"
    ws.tf("plan", "-input=false", f"-out={plan}")
    shown = json.loads(ws.tf("show", "-json", str(plan)).stdout)
    key = next(r for r in shown["resource_changes"] if r["address"] == key_address("g1"))
    return str(key["change"]["after"]["policy"])


def test_default_policy_cannot_lock_the_account_out(workspace):
    # No role lists: exactly KMS's own default policy, the caller's account root as owner.
    policy = json.loads(_planned_policy(workspace))
    assert policy == {
        "Version": "2012-10-17",
        "Id": "key-default-1",
        "Statement": [
            {
                "Sid": "Enable IAM User Permissions",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                "Action": "kms:*",
                "Resource": "*",
            }
        ],
    }
    # Dropping that statement without naming who administers the key is refused at plan.
    workspace.write_vars(
        generations={"g1": {"material_source": "generate:g1", "material_fingerprint": FINGERPRINT}},
        active_generation="g1",
        enable_default_policy=False,
        key_users=[APP],
    )
    refused = workspace.tf("plan", "-input=false", "-no-color", check=False)
    assert refused.code == 1
    message = " ".join(refused.stderr.replace("│", " ").split())
    assert "enable_default_policy = false needs key_owners or key_administrators" in message
