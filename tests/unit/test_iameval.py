"""The IAM evaluator the importer-policy test relies on, and the policy stand-ins' sid rules."""

from __future__ import annotations

import json

import pytest
from iameval import Request, allowed, parameter_arn, requests_for_call, without_statement

from standins.aws.iam.policy_document import PolicyDocumentDataSource
from standins.aws.kms.grant import _arn_or_service_principal
from standins.plugin.errors import ProviderError

KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": ["kms:Describe*", "kms:Encrypt"], "Resource": [KEY]},
        {"Effect": "Deny", "Action": "kms:DescribeKey", "Resource": "*:key/????????-dead-*"},
        {
            "Effect": "Allow",
            "Action": "kms:Decrypt",
            "Resource": "arn:aws:kms:*:123456789012:key/*",
            "Condition": {
                "StringEquals": {"kms:ViaService": "ssm.us-east-1.amazonaws.com"},
                "StringLike": {"kms:EncryptionContext:PARAMETER_ARN": ["arn:*:parameter/p/*"]},
            },
        },
    ],
}
VIA_SSM = {
    "kms:ViaService": "ssm.us-east-1.amazonaws.com",
    "kms:EncryptionContext:PARAMETER_ARN": "arn:aws:ssm:us-east-1:123456789012:parameter/p/x",
}


@pytest.mark.parametrize(
    ("request_", "expected"),
    [
        (Request("kms:DescribeKey", KEY), True),  # action wildcard
        (Request("KMS:encrypt", KEY), True),  # actions ignore case
        (Request("kms:Decrypt", KEY), False),  # no statement: implicit deny
        (Request("kms:Encrypt", KEY.upper()), False),  # resources keep case
        (Request("kms:Encrypt", KEY + "0"), False),  # no prefix match
        (Request("kms:DescribeKey", "arn:aws:kms:r:1:key/abcdefgh-dead-beef"), False),  # deny
        (Request("kms:Decrypt", KEY, VIA_SSM), True),
        (Request("kms:Decrypt", KEY, {**VIA_SSM, "kms:ViaService": "sm"}), False),
        (Request("kms:Decrypt", KEY, {"kms:ViaService": VIA_SSM["kms:ViaService"]}), False),
    ],
)
def test_evaluation(request_: Request, expected: bool) -> None:
    assert allowed(POLICY, request_) is expected


def test_explicit_deny_beats_allow() -> None:
    doc = {
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}, POLICY["Statement"][1]]
    }
    assert not allowed(doc, Request("kms:DescribeKey", "x:key/abcdefgh-dead-0"))
    assert not allowed(without_statement(doc, 0), Request("kms:Encrypt", KEY))


def test_recorded_calls_become_the_requests_aws_authorizes() -> None:
    def resolve(name: str, region: str) -> str:
        return f"arn:aws:secretsmanager:{region}:123456789012:secret:{name}-AbCdEf"

    get = {"service": "secretsmanager", "action": "GetSecretValue", "region": "eu-west-1"}
    reqs = requests_for_call({**get, "secret_id": "a/b"}, resolve)
    assert [r.action for r in reqs] == ["secretsmanager:GetSecretValue", "kms:Decrypt"]
    assert reqs[1].context["kms:EncryptionContext:SecretARN"].endswith(":secret:a/b-AbCdEf")
    create = {"service": "secretsmanager", "action": "CreateSecret", "region": "r", "name": "n"}
    assert [r.action for r in requests_for_call(create, resolve)] == [
        "secretsmanager:CreateSecret",
        "secretsmanager:TagResource",
        "kms:GenerateDataKey",
    ]
    kms = {"service": "kms", "action": "Encrypt", "region": "r", "key_id": "k"}
    assert requests_for_call(kms, resolve)[0].resource == "arn:aws:kms:r:123456789012:key/k"
    assert parameter_arn("/a/b:3", "r") == "arn:aws:ssm:r:123456789012:parameter/a/b"
    assert parameter_arn("arn:aws:ssm:r:1:parameter/a:lbl", "x") == "arn:aws:ssm:r:1:parameter/a"
    with pytest.raises(ValueError, match="no authorization model"):
        requests_for_call({"service": "s3", "action": "GetObject", "region": "r"}, resolve)


def _document(**config: object) -> dict[str, object]:
    out = PolicyDocumentDataSource().read(None, {"statement": [], **config})
    return dict(json.loads(str(out["json"])))


def test_policy_document_sids_as_the_real_data_source() -> None:
    stmt = {"sid": "A", "effect": "Allow", "actions": ["kms:*"], "resources": ["*"]}
    with pytest.raises(ProviderError, match=r"duplicate Sid \(A\)"):
        _document(statement=[stmt, stmt])
    blank = {**stmt, "sid": ""}
    assert len(_document(statement=[blank, blank])["Statement"]) == 2  # type: ignore[arg-type]
    source = json.dumps({"Statement": [{"Sid": "A", "Effect": "Allow"}]})
    with pytest.raises(ProviderError, match="duplicate Sid"):
        _document(source_policy_documents=[source, source])
    merged = _document(source_policy_documents=[source], statement=[stmt])
    assert merged["Statement"] == [
        {"Sid": "A", "Effect": "Allow", "Action": "kms:*", "Resource": "*"}
    ]


@pytest.mark.parametrize(
    ("principal", "valid"),
    [
        ("arn:aws:iam::123456789012:role/App", True),
        ("logs.us-east-1.amazonaws.com", True),
        ("App", False),
        ("arn:aws:iam", False),
    ],
)
def test_grant_principals_are_arns_or_service_principals(principal: str, valid: bool) -> None:
    assert (_arn_or_service_principal(principal) is None) is valid


PROOF_ONLY = {
    "Statement": [
        {
            "Effect": "Allow",
            "Action": ["kms:Encrypt", "kms:Decrypt"],
            "Resource": KEY,
            "Condition": {
                "StringEquals": {"kms:EncryptionContext:kms-import": "proof"},
                "ForAllValues:StringEquals": {"kms:EncryptionContextKeys": ["kms-import"]},
            },
        }
    ]
}


def _decrypt(context: dict[str, str] | None) -> dict[str, str]:
    call = {"service": "kms", "action": "Decrypt", "region": "us-east-1", "key_id": KEY}
    return call if context is None else {**call, "encryption_context": json.dumps(context)}


@pytest.mark.parametrize(
    ("context", "expected"),
    [
        ({"kms-import": "proof"}, True),
        (None, False),  # an application's ciphertext without context
        ({"kms-import": "proof", "app": "x"}, False),  # an extra key: ForAllValues fails
        ({"kms-import": "other"}, False),
        ({"app": "x"}, False),
    ],
)
def test_encryption_context_conditions_from_the_call_record(
    context: dict[str, str] | None, expected: bool
) -> None:
    [request] = requests_for_call(_decrypt(context), lambda *_: "")
    assert allowed(PROOF_ONLY, request) is expected


def test_for_all_values_holds_for_no_values_and_needs_every_one() -> None:
    tags = {
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "kms:TagResource",
                "Resource": "*",
                "Condition": {"ForAllValues:StringEquals": {"aws:TagKeys": ["a", "b"]}},
            }
        ]
    }
    assert allowed(tags, Request("kms:TagResource", KEY, {"aws:TagKeys": ("a",)}))
    assert allowed(tags, Request("kms:TagResource", KEY))  # as AWS: vacuously true
    assert not allowed(tags, Request("kms:TagResource", KEY, {"aws:TagKeys": ("a", "c")}))


def test_kms_request_parameters_become_condition_keys() -> None:
    call = {
        "service": "kms",
        "action": "GetParametersForImport",
        "region": "us-east-1",
        "key_id": KEY,
        "wrapping_algorithm": "RSAES_OAEP_SHA_256",
        "wrapping_key_spec": "RSA_3072",
    }
    [request] = requests_for_call(call, lambda *_: "")
    assert request.context == {
        "kms:WrappingAlgorithm": "RSAES_OAEP_SHA_256",
        "kms:WrappingKeySpec": "RSA_3072",
    }
