"""pkcs11: keys in a real SoftHSM2 token; the token wraps, fingerprints and MACs them itself.

Every key object was created from bytes the test knows but marked sensitive, so the helper
cannot read them (asserted); the wrapped blobs are unwrapped here with a local RSA key standing
in for KMS's wrapping key and compared with those bytes.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.keywrap import aes_key_unwrap_with_padding

from kms_import.cli import main as cli
from kms_import.errors import MaterialError, SourceError, WrappingError
from kms_import.keyspecs import key_spec
from kms_import.material import secret_fingerprint
from kms_import.sources import open_source
from kms_import.sources import pkcs11 as source
from kms_import.wrapping import ALGORITHMS

SYM = key_spec("SYMMETRIC_DEFAULT")
HMAC_256 = key_spec("HMAC_256")
SoftHsm = Any  # conftest.SoftHsm: the token, its PIN file, the known bytes of each key
# Measured on SoftHSM2 2.6.1: OAEP only with SHA-1, AES key wrap with padding available.
SOFTHSM_ALGORITHMS = ("RSAES_OAEP_SHA_1", "RSA_AES_KEY_WRAP_SHA_1")


@pytest.fixture(scope="module")
def kms_wrapping_key() -> rsa.RSAPrivateKey:
    """Stands in for the private half of KMS's wrapping key (RSA_3072)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=3072)


@pytest.fixture
def never_extract(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if the helper reads a key value out of the token."""

    def refuse(self: Any) -> None:
        raise AssertionError("the helper read the key value out of the HSM")

    monkeypatch.setattr(source.HsmKey, "_extract", refuse)


def _spki(key: rsa.RSAPrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _unwrap(private: rsa.RSAPrivateKey, blob: bytes, algorithm: str) -> bytes:
    digest = hashes.SHA256() if algorithm.endswith("SHA_256") else hashes.SHA1()
    oaep = padding.OAEP(mgf=padding.MGF1(digest), algorithm=digest, label=None)
    if algorithm.startswith("RSAES_OAEP"):
        return private.decrypt(blob, oaep)
    split = private.key_size // 8
    aes_key = private.decrypt(blob[:split], oaep)
    return aes_key_unwrap_with_padding(aes_key, blob[split:])


def _one_line(exc: pytest.ExceptionInfo[Exception]) -> str:
    text = str(exc.value)
    assert "\n" not in text
    assert "4711" not in text  # never the PIN
    return text


@pytest.fixture
def aes(softhsm: SoftHsm) -> Iterator[source.HsmKey]:
    with open_source(softhsm.uri("aes-1")).read(SYM) as holder:
        assert isinstance(holder, source.HsmKey)
        yield holder


def test_the_helper_cannot_read_the_key(aes: source.HsmKey) -> None:
    from pkcs11 import Attribute
    from pkcs11.exceptions import AttributeSensitive

    assert aes.attribute("SENSITIVE") is True
    with pytest.raises(AttributeSensitive):
        aes.key[Attribute.VALUE]
    assert not hasattr(aes, "buffer")  # nothing for leak-scan or anyone else to read


def test_softhsm_wrapping_algorithms_are_measured(aes: source.HsmKey) -> None:
    assert aes.wrapping_algorithms == SOFTHSM_ALGORITHMS


@pytest.mark.parametrize("algorithm", SOFTHSM_ALGORITHMS)
@pytest.mark.usefixtures("never_extract")
def test_the_token_wraps_the_key_for_kms(
    softhsm: SoftHsm, aes: source.HsmKey, kms_wrapping_key: rsa.RSAPrivateKey, algorithm: str
) -> None:
    blob = aes.wrap(_spki(kms_wrapping_key), algorithm)
    assert _unwrap(kms_wrapping_key, blob, algorithm) == softhsm.values["aes-1"]
    if algorithm.startswith("RSA_AES"):
        assert len(blob) == 384 + 40  # RSA part first, then RFC 5649 of 32 bytes


@pytest.mark.usefixtures("never_extract")
def test_composed_wrap_carries_large_hmac_keys(
    softhsm: SoftHsm, kms_wrapping_key: rsa.RSAPrivateKey
) -> None:
    uri = softhsm.uri("hmac-512")
    with open_source(uri).read(key_spec("HMAC_512")) as holder:
        blob = holder.wrap(_spki(kms_wrapping_key), "RSA_AES_KEY_WRAP_SHA_1")
    assert _unwrap(kms_wrapping_key, blob, "RSA_AES_KEY_WRAP_SHA_1") == softhsm.values["hmac-512"]


@pytest.mark.usefixtures("never_extract")
def test_an_algorithm_the_token_lacks_is_refused(
    aes: source.HsmKey, kms_wrapping_key: rsa.RSAPrivateKey
) -> None:
    with pytest.raises(WrappingError, match="cannot wrap with RSAES_OAEP_SHA_256") as exc:
        aes.wrap(_spki(kms_wrapping_key), "RSAES_OAEP_SHA_256")
    assert "allow-extract=true" in _one_line(exc)


@pytest.mark.parametrize(
    ("label", "spec"),
    [("aes-1", SYM), ("hmac-256", HMAC_256), ("hmac-384-nosign", key_spec("HMAC_384"))],
)
@pytest.mark.usefixtures("never_extract")
def test_fingerprint_is_computed_in_the_token_and_matches_the_file_source(
    softhsm: SoftHsm, tmp_path: Path, label: str, spec: Any
) -> None:
    file = tmp_path / "m"
    file.write_bytes(softhsm.values[label])
    file.chmod(0o600)
    with open_source(f"file://{file}").read(spec) as material:
        expected = material.fingerprint(spec)
    assert expected == secret_fingerprint(softhsm.values[label])
    with open_source(softhsm.uri(label)).read(spec) as holder:
        assert holder.fingerprint(spec) == expected
        assert holder.size == len(softhsm.values[label])


@pytest.mark.parametrize(
    ("label", "hash_name"),
    [
        ("hmac-224", "sha224"),
        ("hmac-256", "sha224"),
        ("hmac-256", "sha256"),
        ("hmac-384-nosign", "sha384"),
        ("hmac-512", "sha512"),
    ],
)
@pytest.mark.usefixtures("never_extract")
def test_mac_is_the_tokens_hmac(softhsm: SoftHsm, label: str, hash_name: str) -> None:
    message = os.urandom(40)
    spec = key_spec(f"HMAC_{hash_name[3:]}")
    with open_source(softhsm.uri(label)).read(spec) as holder:
        got = holder.mac(message, hash_name)
    assert got == hmac.new(softhsm.values[label], message, getattr(hashlib, hash_name)).digest()


@pytest.mark.usefixtures("never_extract")
def test_softhsm_cannot_fingerprint_keys_shorter_than_32_bytes(softhsm: SoftHsm) -> None:
    # SoftHSM2 refuses CKM_SHA256_HMAC with a key under 32 bytes (CKR_KEY_SIZE_RANGE), so a
    # 28-byte HMAC_224 key there needs an explicit material_fingerprint.
    with (
        open_source(softhsm.uri("hmac-224")).read(key_spec("HMAC_224")) as holder,
        pytest.raises(SourceError, match="refuses HMAC-SHA256 with the 28-byte") as exc,
    ):
        holder.fingerprint(key_spec("HMAC_224"))
    assert "material_fingerprint" in _one_line(exc)


@pytest.mark.usefixtures("never_extract")
def test_temporary_objects_do_not_outlive_their_step(
    softhsm: SoftHsm, kms_wrapping_key: rsa.RSAPrivateKey
) -> None:
    from pkcs11 import Attribute

    with open_source(softhsm.uri("hmac-384-nosign")).read(key_spec("HMAC_384")) as holder:
        before = len(list(holder.session.get_objects({Attribute.TOKEN: True})))
        for algorithm in SOFTHSM_ALGORITHMS:
            holder.wrap(_spki(kms_wrapping_key), algorithm)
        holder.fingerprint(key_spec("HMAC_384"))
        session_objects = list(holder.session.get_objects({Attribute.TOKEN: False}))
        assert len(session_objects) == 1  # only the sensitive signing copy, until exit
        assert session_objects[0][Attribute.SENSITIVE] is True
        assert session_objects[0][Attribute.EXTRACTABLE] is False
        assert len(list(holder.session.get_objects({Attribute.TOKEN: True}))) == before


def test_object_found_by_binary_id(softhsm: SoftHsm, kms_wrapping_key: rsa.RSAPrivateKey) -> None:
    uri = softhsm.uri("by-id").replace(";object=by-id", ";id=%01%FF%2F")
    with open_source(uri).read(SYM) as holder:
        blob = holder.wrap(_spki(kms_wrapping_key), "RSAES_OAEP_SHA_1")
    assert _unwrap(kms_wrapping_key, blob, "RSAES_OAEP_SHA_1") == softhsm.values["by-id"]


def test_pin_source_takes_the_rfc_7512_and_uri_forms(softhsm: SoftHsm) -> None:
    for pin_source in (f"file:{softhsm.pin_file}", f"file://{softhsm.pin_file}"):
        with open_source(softhsm.uri("aes-1", pin_source=pin_source)).read(SYM) as holder:
            assert holder.size == 32


def test_a_readable_key_is_never_read_without_allow_extract(
    softhsm: SoftHsm, kms_wrapping_key: rsa.RSAPrivateKey, never_extract: None
) -> None:
    with open_source(softhsm.uri("not-sensitive")).read(SYM) as holder:
        assert holder.wrapping_algorithms == SOFTHSM_ALGORITHMS
        blob = holder.wrap(_spki(kms_wrapping_key), "RSAES_OAEP_SHA_1")
        assert holder.fingerprint(SYM) == secret_fingerprint(softhsm.values["not-sensitive"])
    assert _unwrap(kms_wrapping_key, blob, "RSAES_OAEP_SHA_1") == softhsm.values["not-sensitive"]


def test_allow_extract_reads_a_readable_key_for_what_the_token_cannot_do(
    softhsm: SoftHsm, kms_wrapping_key: rsa.RSAPrivateKey
) -> None:
    uri = softhsm.uri("not-sensitive", allow_extract="true")
    with open_source(uri).read(SYM) as holder:
        assert holder.wrapping_algorithms == ALGORITHMS
        blob = holder.wrap(_spki(kms_wrapping_key), "RSAES_OAEP_SHA_256")
    assert _unwrap(kms_wrapping_key, blob, "RSAES_OAEP_SHA_256") == softhsm.values["not-sensitive"]


def test_allow_extract_cannot_read_a_sensitive_key(softhsm: SoftHsm, never_extract: None) -> None:
    with open_source(softhsm.uri("aes-1", allow_extract="true")).read(SYM) as holder:
        assert holder.wrapping_algorithms == SOFTHSM_ALGORITHMS
        assert holder.fingerprint(SYM) == secret_fingerprint(softhsm.values["aes-1"])


def test_cli_fingerprint_and_sources(softhsm: SoftHsm, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(["fingerprint", "--source", softhsm.uri("hmac-256"), "--key-spec", "HMAC_256"]) == 0
    assert capsys.readouterr().out.strip() == secret_fingerprint(softhsm.values["hmac-256"])
    assert cli(["sources"]) == 0
    out = capsys.readouterr().out
    assert "pkcs11:token=" in out
    assert "secretsmanager:" in out
    assert "ssm:" in out


def _bad(softhsm: SoftHsm, tmp_path: Path, case: str) -> tuple[str, Any]:
    """The URI and key spec of one bad reference."""
    module = str(softhsm.module)
    pin = str(softhsm.pin_file)
    if case.startswith("pin-file"):
        bad_pin = tmp_path / "pin"
        bad_pin.write_text({"pin-file-wrong": "0000\n", "pin-file-empty": "\n"}.get(case, "x\n"))
        bad_pin.chmod(0o644 if case == "pin-file-open" else 0o600)
        pin = str(bad_pin if case != "pin-file-missing" else tmp_path / "none")
    uri = softhsm.uri("aes-1", pin_source=f"file:{pin}", module_path=module)
    spec = SYM
    edits = {
        "module-missing": (module, "/usr/lib/softhsm/libsofthsm2-gone.so"),
        "module-not-pkcs11": (module, "/usr/lib/x86_64-linux-gnu/libz.so.1"),
        "module-relative": (module, "libsofthsm2.so"),
        "token-wrong": ("token=kms-test", "token=no-such-token"),
        "object-missing": ("object=aes-1", "object=no-such-key"),
        "object-twice": ("object=aes-1", "object=twin"),
        "not-extractable": ("object=aes-1", "object=not-extractable"),
        "wrong-size": ("object=aes-1", "object=short"),
        "pin-value": ("&pin-source", "&pin-value=1234&pin-source"),
        "unknown-attribute": (";object=", ";colour=red;object="),
        "unknown-query": ("?", "?colour=red&"),
        "type-private": (";object=", ";type=private;object="),
        "no-object": (";object=aes-1", ""),
        "pin-command": (f"file:{pin}", "|/bin/cat"),
        "allow-extract-maybe": ("&pin-source", "&allow-extract=maybe&pin-source"),
    }
    if case in edits:
        uri = uri.replace(*edits[case])
    if case == "asymmetric-spec":
        spec = key_spec("RSA_2048")
    return uri, spec


@pytest.mark.parametrize(
    ("case", "kind", "message"),
    [
        ("module-missing", SourceError, "libsofthsm2-gone.so does not exist.*apt-get install"),
        ("module-not-pkcs11", SourceError, "cannot be loaded"),
        ("module-relative", SourceError, "module-path=/absolute"),
        ("token-wrong", SourceError, "no token 'no-such-token'.*tokens there: kms-test"),
        ("object-missing", SourceError, "'no-such-key' on token 'kms-test' does not exist"),
        ("object-twice", SourceError, "2 secret keys match"),
        ("not-extractable", SourceError, "not extractable.*cannot be wrapped"),
        ("wrong-size", MaterialError, "holds 16 bytes but a SYMMETRIC_DEFAULT key takes"),
        ("pin-file-wrong", SourceError, "PIN in .* is wrong for token 'kms-test'"),
        ("pin-file-open", SourceError, "accessible to group or others.*chmod 600"),
        ("pin-file-missing", SourceError, "PIN file .* does not exist"),
        ("pin-file-empty", SourceError, "PIN file .* is empty"),
        ("pin-value", SourceError, "pin-value.*Terraform state"),
        ("pin-command", SourceError, "not a file:/absolute/path"),
        ("unknown-attribute", SourceError, "attribute 'colour' is not supported"),
        ("unknown-query", SourceError, "query attribute 'colour' is not supported"),
        ("type-private", SourceError, "only type=secret-key"),
        ("no-object", SourceError, "names no key"),
        ("allow-extract-maybe", SourceError, "allow-extract='maybe' is not true or false"),
        ("asymmetric-spec", SourceError, "cannot serve a RSA_2048 key"),
    ],
)
def test_bad_references_fail_with_one_clear_line(
    softhsm: SoftHsm, tmp_path: Path, case: str, kind: type[Exception], message: str
) -> None:
    uri, spec = _bad(softhsm, tmp_path, case)
    with pytest.raises(kind, match=message) as exc, open_source(uri).read(spec):
        pass
    _one_line(exc)


def test_a_bad_reference_exits_non_zero_with_one_line(
    softhsm: SoftHsm, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli(["fingerprint", "--source", softhsm.uri("no-such-key")])
    err = capsys.readouterr().err.strip()
    assert code != 0
    assert "does not exist" in err
    assert len(err.splitlines()) == 1
