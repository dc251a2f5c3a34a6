"""--profile and --assume-role-*: the helper acts as the provider's principal.

Against the local AWS in-process (moto serves STS AssumeRole; localaws decides it by the role's
trust policy and records the access key id each call was signed with), so the tests see which
principal acted, not what the helper says it did.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

import localaws
from kms_import import aws, cli
from kms_import.aws import Credentials, duration_seconds, query_credentials
from kms_import.errors import UsageError

ROLE = "arn:aws:iam::123456789012:role/importer"
UNTRUSTED = "arn:aws:iam::123456789012:role/untrusted"
ACCOUNT_ROOT = "arn:aws:iam::123456789012:root"
PROFILE_KEY = "AKIAPROFILEKEY000001"
AMBIENT_KEY = "AKIAAMBIENTKEY000001"


@pytest.fixture(autouse=True)
def _default_credentials_after() -> Iterator[None]:
    yield
    aws.use_credentials(Credentials())  # later tests in this process start from the default


class _Signed(Mapping[str, list[str]]):
    """The local AWS's call record: operation -> access key ids of its calls, oldest first."""

    def _by_action(self) -> dict[str, list[str]]:
        seen: dict[str, list[str]] = {}
        for call in localaws.calls.calls():
            seen.setdefault(call["action"], []).append(call.get("access_key_id", ""))
        return seen

    def __getitem__(self, action: str) -> list[str]:
        return self._by_action()[action]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_action())

    def __len__(self) -> int:
        return len(self._by_action())


def _trusting(principal: str) -> str:
    statement = {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


@pytest.fixture
def signed_by(local_aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[_Signed]:
    """Who signed each call, as the local AWS recorded it. AssumeRole decides as IAM does:
    `importer` trusts this account, `untrusted` only another account."""
    import boto3

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", AMBIENT_KEY)  # mock_aws set its own: replace it
    iam = boto3.client("iam")
    iam.create_role(RoleName="importer", AssumeRolePolicyDocument=_trusting(ACCOUNT_ROOT))
    iam.create_role(
        RoleName="untrusted", AssumeRolePolicyDocument=_trusting("arn:aws:iam::210987654321:root")
    )
    localaws.sts.configure(check_roles=True)
    localaws.calls.clear()
    yield _Signed()
    localaws.sts.reset()


@pytest.fixture
def profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, local_aws: None) -> str:
    """A profile `ops` with its own access key, in config files only this test reads."""
    (tmp_path / "credentials").write_text(
        f"[ops]\naws_access_key_id = {PROFILE_KEY}\naws_secret_access_key = profile-secret\n"
    )
    (tmp_path / "config").write_text("[profile ops]\nregion = us-east-1\n")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    return "ops"


def _material(tmp_path: Path) -> str:
    path = tmp_path / "m.bin"
    path.write_bytes(os.urandom(32))
    path.chmod(0o600)
    return f"file://{path}"


def _key(kms: Any) -> str:
    return str(kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["Arn"])


def _import(arn: str, source: str, *flags: str) -> int:
    return cli.main(["import", "--key-id", arn, "--source", source, *flags])


def test_import_runs_as_the_assumed_role(
    kms: Any, signed_by: _Signed, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    arn = _key(kms)
    flags = ["--assume-role-arn", ROLE, "--assume-role-session-name", "tf-import"]
    assert _import(arn, _material(tmp_path), *flags, "--assume-role-duration", "1h") == 0
    out, err = capsys.readouterr()
    assert "imported" in out
    (assumed,) = set(signed_by["ImportKeyMaterial"])
    assert assumed.startswith("ASIA")  # the role's temporary key
    assert signed_by["AssumeRole"] == [AMBIENT_KEY]  # assumed once, with the ambient key
    identity = aws.client("sts").get_caller_identity()
    assert identity["Arn"] == "arn:aws:sts::123456789012:assumed-role/importer/tf-import"
    assert len(signed_by["AssumeRole"]) == 1  # the process reuses the assumed credentials
    assert assumed not in out + err  # no credential in what the helper prints


def test_assumed_credentials_are_renewed_before_they_expire(
    kms: Any, signed_by: _Signed, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Credentials 4 minutes from expiry (inside the 5 minute margin) are assumed again
    before the next request, not used until they fail."""
    from moto.sts.models import AssumedRole

    original = AssumedRole.__init__

    def short_lived(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        self.expiration -= timedelta(seconds=15 * 60 - 4 * 60)  # 15m asked, 4m left

    monkeypatch.setattr(AssumedRole, "__init__", short_lived)
    aws.use_credentials(Credentials(role_arn=ROLE, duration="15m"))
    sts = aws.client("sts")
    first = sts.get_caller_identity()["Arn"]
    assumed = len(signed_by["AssumeRole"])
    assert sts.get_caller_identity()["Arn"] == first  # same role and session name, renewed
    assert len(signed_by["AssumeRole"]) == assumed + 1


def test_without_flags_the_ambient_credentials_act(
    kms: Any, signed_by: _Signed, tmp_path: Path
) -> None:
    assert _import(_key(kms), _material(tmp_path)) == 0
    assert signed_by["ImportKeyMaterial"] == [AMBIENT_KEY] and "AssumeRole" not in signed_by


def test_profile_alone_and_profile_then_role(
    kms: Any, signed_by: _Signed, profile: str, tmp_path: Path
) -> None:
    source = _material(tmp_path)
    arn = _key(kms)
    assert _import(arn, source, "--profile", profile) == 0
    assert signed_by["ImportKeyMaterial"] == [PROFILE_KEY]

    other = _key(kms)
    assert _import(other, source, "--profile", profile, "--assume-role-arn", ROLE) == 0
    assert signed_by["AssumeRole"] == [PROFILE_KEY]  # the role is assumed with the profile
    assert signed_by["ImportKeyMaterial"][-1].startswith("ASIA")


def test_a_role_that_cannot_be_assumed_is_one_line_naming_it(
    kms: Any,
    signed_by: _Signed,
    profile: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    arn = _key(kms)
    code = _import(arn, _material(tmp_path), "--profile", profile, "--assume-role-arn", UNTRUSTED)
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert f"cannot assume role {UNTRUSTED} with profile ops: AccessDenied" in err
    assert "ImportKeyMaterial" not in signed_by
    assert kms.describe_key(KeyId=arn)["KeyMetadata"]["KeyState"] == "PendingImport"


def test_the_external_id_reaches_the_trust_policy(
    kms: Any, signed_by: _Signed, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import boto3

    trust = json.loads(_trusting(ACCOUNT_ROOT))
    trust["Statement"][0]["Condition"] = {"StringEquals": {"sts:ExternalId": "partner-7"}}
    role = boto3.client("iam").create_role(
        RoleName="partner", AssumeRolePolicyDocument=json.dumps(trust)
    )["Role"]["Arn"]
    source = _material(tmp_path)
    assert _import(_key(kms), source, "--assume-role-arn", role) == 1
    assert f"cannot assume role {role}: AccessDenied" in capsys.readouterr().err
    flags = ["--assume-role-arn", role, "--assume-role-external-id", "partner-7"]
    assert _import(_key(kms), source, *flags) == 0
    assert signed_by["ImportKeyMaterial"][-1].startswith("ASIA")
    assert "partner-7" not in capsys.readouterr().err


def test_an_unknown_profile_is_one_line(
    kms: Any, profile: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _import(_key(kms), _material(tmp_path), "--profile", "nope") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "AWS profile 'nope' is not in the AWS config files" in err


def test_fingerprint_query_carries_the_credentials(
    local_aws: None,
    signed_by: _Signed,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The plan-time protocol: profile/assume_role as query fields; secretsmanager: reads
    the secret as the role."""
    import base64

    import boto3

    boto3.client("secretsmanager").create_secret(
        Name="material", SecretString=base64.b64encode(os.urandom(32)).decode()
    )
    query = {
        "source": "secretsmanager:material?format=base64",
        "assume_role": json.dumps({"role_arn": ROLE, "session_name": None, "duration": "15m"}),
        "profile": "",
    }
    monkeypatch.setattr("sys.stdin", _Stdin(json.dumps(query)))
    assert cli.main(["fingerprint"]) == 0
    assert set(json.loads(capsys.readouterr().out)) == {"fingerprint"}
    (reader,) = signed_by["GetSecretValue"]
    assert reader.startswith("ASIA") and signed_by["AssumeRole"] == [AMBIENT_KEY]


class _Stdin:
    def __init__(self, text: str) -> None:
        self.text = text

    def read(self) -> str:
        return self.text


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--assume-role-arn", "arn:aws:iam::1:role/x"], "is not an IAM role ARN"),
        (["--assume-role-duration", "1h"], "duration given without a role ARN"),
        (["--assume-role-arn", ROLE, "--assume-role-duration", "5m"], "outside 15m to 12h"),
        (["--assume-role-arn", ROLE, "--assume-role-duration", "1 hour"], "is not a duration"),
        (["--assume-role-arn", ROLE, "--assume-role-session-name", "a b"], "session name"),
        (["--assume-role-arn", ROLE, "--assume-role-external-id", "x y!"], "external id"),
        (["--profile", " "], "--profile is empty"),
    ],
)
def test_bad_credential_flags_are_refused_before_aws(
    flags: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["status", "--key-id", "alias/x", *flags]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err
    assert "x y!" not in err  # an external id may be a shared secret: never echoed


def test_every_aws_command_takes_the_credential_flags() -> None:
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for name in (
        "import", "rotate-material", "fingerprint", "test", "verify", "status",
        "params", "import-wrapped", "leak-scan", "adopt",
    ):  # fmt: skip
        options = {o for a in sub.choices[name]._actions for o in a.option_strings}
        assert {"--profile", "--assume-role-arn", "--assume-role-duration"} <= options, name
    wrap = {o for a in sub.choices["wrap"]._actions for o in a.option_strings}
    assert "--profile" not in wrap  # wrap runs without AWS


def test_duration_and_query_parsing() -> None:
    assert duration_seconds("1h") == 3600 and duration_seconds("1h30m") == 5400
    assert duration_seconds("900s") == 900 and duration_seconds("12h") == 43200
    with pytest.raises(UsageError):
        duration_seconds("")
    creds, rest = query_credentials(
        {"a": "x", "profile": "ops", "assume_role": json.dumps({"role_arn": ROLE})},
        Credentials(),
    )
    assert creds == Credentials(profile="ops", role_arn=ROLE) and rest == {"a": "x"}
    creds, rest = query_credentials({"a": "x", "assume_role": "null", "profile": ""}, Credentials())
    assert creds.default and rest == {"a": "x"}
    flags = Credentials(profile="ops")
    assert query_credentials({"a": "x"}, flags) == (flags, {"a": "x"})
    with pytest.raises(UsageError, match="different credentials"):
        query_credentials({"profile": "dev"}, flags)
    with pytest.raises(UsageError, match="unknown field"):
        query_credentials({"assume_role": json.dumps({"role_arn": ROLE, "x": 1})}, Credentials())
    assert "s3cret-id" not in repr(Credentials(role_arn=ROLE, external_id="s3cret-id"))


def test_import_keys_imports_every_key_as_the_role_from_its_pool(
    kms: Any, signed_by: _Signed, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """external-keys' import step: one AssumeRole for the process, shared by the pool."""
    entries = []
    for name in ("a", "b", "c", "d"):
        path = tmp_path / f"{name}.bin"
        path.write_bytes(os.urandom(32))
        path.chmod(0o600)
        entry = {"name": name, "key_arn": _key(kms), "material_source": f"file://{path}"}
        entries += ["--key", json.dumps({**entry, "wrapping_key_spec": "RSA_2048"})]
    flags = ["--assume-role-arn", ROLE, "--assume-role-session-name", "tf-apply"]
    code = cli.main(["import-keys", *entries, *flags, "--parallelism", "4"])
    assert code == 0, capsys.readouterr().err
    signers = signed_by["ImportKeyMaterial"]
    assert len(signers) == 4 and len(set(signers)) == 1 and signers[0].startswith("ASIA")
    assert signed_by["AssumeRole"] == [AMBIENT_KEY]


def test_plan_keys_takes_credentials_by_flag_and_every_query_field_is_a_key(
    local_aws: None,
    signed_by: _Signed,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """external-keys' plan step: credentials are flags (as the module passes them), so keys
    named `profile` and `assume_role` are keys like any other."""
    import base64

    import boto3

    query = {}
    for name in ("g1", "profile", "assume_role"):
        boto3.client("ssm").put_parameter(
            Name=f"/keys/{name}",
            Type="SecureString",
            Value=base64.b64encode(os.urandom(32)).decode(),
        )
        source = f"ssm:/keys/{name}?format=base64"
        query[name] = json.dumps({"source": source, "key_spec": "SYMMETRIC_DEFAULT"})
    monkeypatch.setattr("sys.stdin", _Stdin(json.dumps(query)))
    flags = ["--assume-role-arn", ROLE, "--assume-role-session-name", "tf-plan"]
    assert cli.main(["plan-keys", *flags]) == 0
    assert set(json.loads(capsys.readouterr().out)) == {"g1", "profile", "assume_role"}
    readers = set(signed_by["GetParameter"])
    assert len(readers) == 1 and readers.pop().startswith("ASIA")
    assert signed_by["AssumeRole"] == [AMBIENT_KEY]
