"""Every importable key spec x wrapping algorithm x wrapping key spec, on the local KMS.

Valid combinations are imported through `run_import` and proven with `verify.prove` (the
outcome's proof line says which proof held). Invalid ones must fail with the documented
one-line error (docs/supported.md) before any GetParametersForImport or ImportKeyMaterial call.

What is valid is written out here from the GetParametersForImport API reference, independently
of kms_import.wrapping, so the test does not merely restate the code:
- RSA private keys: only RSA_AES_KEY_WRAP_* (any wrapping key spec);
- everything else: any algorithm, except that ECC_NIST_P521's PKCS#8 DER (241 bytes) does not
  fit RSAES_OAEP_* under an RSA_2048 wrapping key (190 / 214 bytes).

Key usage is not part of the wrapping choice: the grid imports RSA keys as SIGN_VERIFY keys, and
the default-choice and `verify` tests cover every (key spec, key usage) pair KMS offers.

Cost control (RSA key generation and RSA key validation dominate): test private keys are
generated once per session (per xdist worker) and kept as 0600 files; the grid runs on one local
KMS per module with one KMS key per key spec, whose material is deleted and re-imported with each
combination (the local KMS then also checks it is the same material), so the local KMS makes
three wrapping key pairs per key instead of twelve.
"""

from __future__ import annotations

import os
import stat
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from kms_import import cli
from kms_import.errors import MaterialError, VerificationError, WrappingError
from kms_import.importer import ImportRequest, run_import
from offline.inprocess import in_process_aws

ALGORITHMS = (
    "RSAES_OAEP_SHA_1",
    "RSAES_OAEP_SHA_256",
    "RSA_AES_KEY_WRAP_SHA_1",
    "RSA_AES_KEY_WRAP_SHA_256",
)
WRAPPING_KEY_SPECS = ("RSA_2048", "RSA_3072", "RSA_4096")

# (key spec, key usage) pairs KMS lets you create with Origin EXTERNAL and import into.
KEY_TYPES = (
    ("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT"),
    ("HMAC_224", "GENERATE_VERIFY_MAC"),
    ("HMAC_256", "GENERATE_VERIFY_MAC"),
    ("HMAC_384", "GENERATE_VERIFY_MAC"),
    ("HMAC_512", "GENERATE_VERIFY_MAC"),
    ("RSA_2048", "ENCRYPT_DECRYPT"),
    ("RSA_2048", "SIGN_VERIFY"),
    ("RSA_3072", "ENCRYPT_DECRYPT"),
    ("RSA_3072", "SIGN_VERIFY"),
    ("RSA_4096", "ENCRYPT_DECRYPT"),
    ("RSA_4096", "SIGN_VERIFY"),
    ("ECC_NIST_P256", "SIGN_VERIFY"),
    ("ECC_NIST_P384", "SIGN_VERIFY"),
    ("ECC_NIST_P521", "SIGN_VERIFY"),
    ("ECC_SECG_P256K1", "SIGN_VERIFY"),
)
# Imports use the largest material a spec takes, so OAEP capacity is tested at its edge.
SECRET_BYTES = {
    "SYMMETRIC_DEFAULT": (32, 32),
    "HMAC_224": (28, 64),
    "HMAC_256": (32, 64),
    "HMAC_384": (48, 128),
    "HMAC_512": (64, 128),
}
CURVES = {
    "ECC_NIST_P256": ec.SECP256R1,
    "ECC_NIST_P384": ec.SECP384R1,
    "ECC_NIST_P521": ec.SECP521R1,
    "ECC_SECG_P256K1": ec.SECP256K1,
}
PROOFS = {
    "ENCRYPT_DECRYPT": "round trip",
    "GENERATE_VERIFY_MAC": "GenerateMac equals the local HMAC",
    "SIGN_VERIFY": "signature verifies locally",
}
RSA_DECRYPT_PROOF = "local RSA-OAEP encryption decrypts in KMS"


def _valid(spec: str, algorithm: str, wrapping_key_spec: str) -> bool:
    oaep = algorithm.startswith("RSAES_OAEP")
    if spec.startswith("RSA_"):
        return not oaep
    return not (spec == "ECC_NIST_P521" and oaep and wrapping_key_spec == "RSA_2048")


def _expected_error(spec: str, algorithm: str, wrapping_key_spec: str) -> str:
    if spec.startswith("RSA_"):
        return f"{algorithm} cannot wrap a {spec} private key .*use RSA_AES_KEY_WRAP_SHA_256"
    limit = 190 if algorithm.endswith("SHA_256") else 214
    return f"{algorithm} with {wrapping_key_spec} carries at most {limit} bytes"


GRID_KEY_TYPES = tuple(
    (spec, usage) for spec, usage in KEY_TYPES if usage != "ENCRYPT_DECRYPT" or "RSA" not in spec
)
COMBINATIONS = [
    (spec, usage, algorithm, wks)
    for spec, usage in GRID_KEY_TYPES
    for algorithm in ALGORITHMS
    for wks in WRAPPING_KEY_SPECS
]
VALID = [c for c in COMBINATIONS if _valid(c[0], c[2], c[3])]
INVALID = [c for c in COMBINATIONS if not _valid(c[0], c[2], c[3])]


def _id(combo: tuple[str, ...]) -> str:
    return "-".join(combo)


# --- material: generated once per session, kept as 0600 files ----------------------------

_SOURCES: dict[tuple[str, str], str] = {}


@pytest.fixture(scope="session")
def material_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("matrix-material")
    folder.chmod(0o700)
    return folder


def _private_key_der(spec: str) -> bytes:
    if spec in CURVES:
        key: Any = ec.generate_private_key(CURVES[spec]())
    else:
        key = rsa.generate_private_key(public_exponent=65537, key_size=int(spec.split("_")[1]))
    return key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def source_for(folder: Path, spec: str, variant: str = "max") -> str:
    """A file:// source for `spec` (cached); `variant` picks min/max size or another key."""
    cache_key = (spec, variant)
    if cache_key not in _SOURCES:
        if spec in SECRET_BYTES:
            low, high = SECRET_BYTES[spec]
            data, query = os.urandom(low if variant == "min" else high), ""
        else:
            data, query = _private_key_der(spec), ""  # PKCS#8 DER as KMS takes it
        path = folder / f"{spec}-{variant}.bin"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        _SOURCES[cache_key] = f"file://{path}{query}"
    return _SOURCES[cache_key]


# --- the local KMS, in process -------------------------------------------------------------


@pytest.fixture(scope="module")
def local_kms() -> Iterator[dict[tuple[str, str], str]]:
    """One in-process local KMS for the module; yields the reusable key per (spec, usage)."""
    with pytest.MonkeyPatch.context() as patch, in_process_aws(patch):
        yield {}


@pytest.fixture
def kms(local_kms: dict[tuple[str, str], str]) -> Any:
    """A fresh client per test, so event handlers registered by one test stay in it."""
    return boto3.client("kms", region_name="us-east-1")


@pytest.fixture
def reusable_key(local_kms: dict[tuple[str, str], str], kms: Any) -> Any:
    """The module's key for (spec, usage), with no material in it."""

    def get(spec: str, usage: str) -> str:
        arn = local_kms.get((spec, usage))
        if arn is None:
            arn = local_kms[(spec, usage)] = _external_key(kms, spec, usage)
        elif kms.describe_key(KeyId=arn)["KeyMetadata"]["KeyState"] != "PendingImport":
            kms.delete_imported_key_material(KeyId=arn)
        return arn

    return get


class Recorder:
    """KMS operations the helper's client sends, and the import parameters it asked for."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.asked: list[tuple[str, str]] = []

    def before_call(self, model: Any, **_: Any) -> None:
        self.calls.update([model.name])

    def before_params(self, params: dict[str, Any], **_: Any) -> None:
        self.asked.append((params["WrappingAlgorithm"], params["WrappingKeySpec"]))


@pytest.fixture
def record(kms: Any) -> Recorder:
    recorder = Recorder()
    kms.meta.events.register("before-call.kms.*", recorder.before_call)
    kms.meta.events.register(
        "before-parameter-build.kms.GetParametersForImport", recorder.before_params
    )
    return recorder


def _external_key(kms: Any, spec: str, usage: str) -> str:
    return kms.create_key(Origin="EXTERNAL", KeySpec=spec, KeyUsage=usage)["KeyMetadata"]["Arn"]


def _expected_proof(spec: str, usage: str) -> str:
    if spec.startswith("RSA_") and usage == "ENCRYPT_DECRYPT":
        return RSA_DECRYPT_PROOF
    return PROOFS[usage]


# --- the matrix ----------------------------------------------------------------------------


def test_matrix_covers_what_the_docs_list() -> None:
    assert {spec for spec, _ in GRID_KEY_TYPES} == {spec for spec, _ in KEY_TYPES}
    assert len(GRID_KEY_TYPES) == 12 and len(COMBINATIONS) == 12 * 12
    assert len(VALID) == 124 and len(INVALID) == 20


@pytest.mark.parametrize(("spec", "usage", "algorithm", "wks"), VALID, ids=map(_id, VALID))
def test_valid_combination_imports_and_proves(
    kms: Any,
    reusable_key: Any,
    record: Recorder,
    material_dir: Path,
    spec: str,
    usage: str,
    algorithm: str,
    wks: str,
) -> None:
    arn = reusable_key(spec, usage)
    request = ImportRequest(
        arn, source_for(material_dir, spec), wrapping_algorithm=algorithm, wrapping_key_spec=wks
    )
    outcome = run_import(request, kms=kms)

    assert outcome.imported and outcome.state == "Enabled"
    assert _expected_proof(spec, usage) in outcome.proof
    assert record.asked == [(algorithm, wks)]
    assert record.calls["ImportKeyMaterial"] == 1
    assert kms.describe_key(KeyId=arn)["KeyMetadata"]["KeyState"] == "Enabled"


@pytest.mark.parametrize(("spec", "usage", "algorithm", "wks"), INVALID, ids=map(_id, INVALID))
def test_invalid_combination_is_refused_before_any_import_call(
    kms: Any, record: Recorder, material_dir: Path, spec: str, usage: str, algorithm: str, wks: str
) -> None:
    arn = _external_key(kms, spec, usage)
    request = ImportRequest(
        arn, source_for(material_dir, spec), wrapping_algorithm=algorithm, wrapping_key_spec=wks
    )
    with pytest.raises(WrappingError, match=_expected_error(spec, algorithm, wks)) as caught:
        run_import(request, kms=kms)

    assert "\n" not in str(caught.value)
    assert record.calls["GetParametersForImport"] == 0
    assert record.calls["ImportKeyMaterial"] == 0
    assert kms.describe_key(KeyId=arn)["KeyMetadata"]["KeyState"] == "PendingImport"


@pytest.mark.parametrize(
    ("algorithm", "wks", "message"),
    [
        ("RSAES_OAEP_SHA_512", "RSA_2048", "unknown wrapping algorithm 'RSAES_OAEP_SHA_512'"),
        ("RSAES_PKCS1_V1_5", "RSA_2048", "unknown wrapping algorithm 'RSAES_PKCS1_V1_5'"),
        ("RSAES_OAEP_SHA_256", "RSA_1024", "unknown wrapping key spec 'RSA_1024'"),
        ("RSAES_OAEP_SHA_256", "SM2", "unknown wrapping key spec 'SM2'"),
    ],
)
def test_unknown_wrapping_names_are_refused_before_any_import_call(
    kms: Any, record: Recorder, material_dir: Path, algorithm: str, wks: str, message: str
) -> None:
    arn = _external_key(kms, "SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT")
    request = ImportRequest(
        arn, source_for(material_dir, "SYMMETRIC_DEFAULT"), algorithm, wrapping_key_spec=wks
    )
    with pytest.raises(WrappingError, match=message):
        run_import(request, kms=kms)
    assert record.calls["GetParametersForImport"] == 0 and record.calls["ImportKeyMaterial"] == 0


@pytest.mark.parametrize(("spec", "usage"), KEY_TYPES, ids=[f"{s}-{u}" for s, u in KEY_TYPES])
def test_default_wrapping_choice_imports_and_proves(
    kms: Any, record: Recorder, material_dir: Path, spec: str, usage: str
) -> None:
    arn = _external_key(kms, spec, usage)
    outcome = run_import(ImportRequest(arn, source_for(material_dir, spec)), kms=kms)
    default = "RSAES_OAEP_SHA_256" if spec in SECRET_BYTES else "RSA_AES_KEY_WRAP_SHA_256"
    assert record.asked == [(default, "RSA_3072")]
    assert _expected_proof(spec, usage) in outcome.proof


# --- material sizes (the developer guide's limits) -----------------------------------------


@pytest.mark.parametrize("spec", [s for s in SECRET_BYTES if s.startswith("HMAC")])
def test_smallest_hmac_material_imports_and_proves(kms: Any, material_dir: Path, spec: str) -> None:
    arn = _external_key(kms, spec, "GENERATE_VERIFY_MAC")
    outcome = run_import(ImportRequest(arn, source_for(material_dir, spec, "min")), kms=kms)
    assert PROOFS["GENERATE_VERIFY_MAC"] in outcome.proof


@pytest.mark.parametrize("spec", list(SECRET_BYTES))
@pytest.mark.parametrize("edge", ["below", "above"])
def test_material_outside_the_size_limits_is_refused_before_any_call(
    kms: Any, record: Recorder, tmp_path: Path, spec: str, edge: str
) -> None:
    low, high = SECRET_BYTES[spec]
    path = tmp_path / "material.bin"
    path.write_bytes(os.urandom(low - 1 if edge == "below" else high + 1))
    path.chmod(0o600)
    usage = "ENCRYPT_DECRYPT" if spec == "SYMMETRIC_DEFAULT" else "GENERATE_VERIFY_MAC"
    arn = _external_key(kms, spec, usage)
    wanted = f"exactly {low}" if low == high else f"{low} to {high}"
    with pytest.raises(MaterialError, match=f"a {spec} key takes {wanted} bytes"):
        run_import(ImportRequest(arn, f"file://{path}"), kms=kms)
    assert record.calls["GetParametersForImport"] == 0 and record.calls["ImportKeyMaterial"] == 0


@pytest.mark.parametrize(
    ("spec", "other"),
    [("RSA_2048", "RSA_3072"), ("ECC_NIST_P256", "ECC_SECG_P256K1"), ("ECC_NIST_P384", "RSA_2048")],
)
def test_private_key_of_another_spec_is_refused_before_any_call(
    kms: Any, record: Recorder, material_dir: Path, spec: str, other: str
) -> None:
    arn = _external_key(kms, spec, "SIGN_VERIFY")
    with pytest.raises(MaterialError, match="private key"):
        run_import(ImportRequest(arn, source_for(material_dir, other)), kms=kms)
    assert record.calls["GetParametersForImport"] == 0 and record.calls["ImportKeyMaterial"] == 0


def test_material_files_are_private(material_dir: Path) -> None:
    source_for(material_dir, "RSA_4096")
    assert stat.S_IMODE(material_dir.stat().st_mode) == 0o700
    files = list(material_dir.iterdir())
    assert files and all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)


# --- `kms-import verify` for every spec ------------------------------------------------------


@pytest.mark.parametrize(("spec", "usage"), KEY_TYPES, ids=[f"{s}-{u}" for s, u in KEY_TYPES])
def test_verify_command_proves_every_spec_and_refuses_other_material(
    kms: Any,
    material_dir: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    spec: str,
    usage: str,
) -> None:
    # The command's own client would be a new boto3 session per call (slow, and not what is
    # tested here): hand it this test's client for the same local KMS.
    monkeypatch.setattr("kms_import.aws.kms_client", lambda key_id, region=None: kms)
    arn = _external_key(kms, spec, usage)
    source = source_for(material_dir, spec)
    run_import(ImportRequest(arn, source), kms=kms)
    capsys.readouterr()

    assert cli.main(["--quiet", "verify", "--key-id", arn, "--source", source]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{arn.rsplit('/', 1)[1]}: verified: ")
    assert _expected_proof(spec, usage) in out

    if spec == "SYMMETRIC_DEFAULT":
        return  # a round trip cannot tell materials apart; the fingerprint tag does (below)
    other = source_for(material_dir, spec, "other")
    assert cli.main(["--quiet", "verify", "--key-id", arn, "--source", other]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "other material" in err


def test_verify_command_refuses_symmetric_material_the_key_was_not_made_for(
    kms: Any,
    material_dir: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("kms_import.aws.kms_client", lambda key_id, region=None: kms)
    from kms_import.keys import FINGERPRINT_TAG
    from kms_import.keyspecs import key_spec
    from kms_import.sources import open_source

    spec = key_spec("SYMMETRIC_DEFAULT")
    source = source_for(material_dir, "SYMMETRIC_DEFAULT")
    with open_source(source).read(spec) as material:
        fingerprint = material.fingerprint(spec)
    arn = kms.create_key(
        Origin="EXTERNAL", Tags=[{"TagKey": FINGERPRINT_TAG, "TagValue": fingerprint}]
    )["KeyMetadata"]["Arn"]
    run_import(ImportRequest(arn, source), kms=kms)
    capsys.readouterr()
    other = source_for(material_dir, "SYMMETRIC_DEFAULT", "other")
    assert cli.main(["--quiet", "verify", "--key-id", arn, "--source", other]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and fingerprint in err


def test_prove_detects_a_key_holding_other_material(kms: Any, material_dir: Path) -> None:
    from kms_import import keys, verify
    from kms_import.keyspecs import key_spec
    from kms_import.sources import open_source

    arn = _external_key(kms, "HMAC_256", "GENERATE_VERIFY_MAC")
    run_import(ImportRequest(arn, source_for(material_dir, "HMAC_256")), kms=kms)
    spec = key_spec("HMAC_256")
    other = open_source(source_for(material_dir, "HMAC_256", "min")).read(spec)
    with other, pytest.raises(VerificationError, match="different MAC"):
        verify.prove(kms, keys.describe(kms, arn), spec, other)
