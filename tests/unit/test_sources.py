"""Material sources: parsing, permission checks, formats, escrow behaviour."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from kms_import.errors import MaterialError, SourceError
from kms_import.keyspecs import key_spec
from kms_import.sources import open_source, registry

SYM = key_spec("SYMMETRIC_DEFAULT")


def _write(path: Path, data: bytes, mode: int = 0o600) -> Path:
    path.write_bytes(data)
    path.chmod(mode)
    return path


def test_registry_lists_each_scheme_with_an_example() -> None:
    sources = registry()
    assert {"file", "generate"} <= set(sources)
    for scheme, source in sources.items():
        assert source.EXAMPLE.startswith(scheme + ":")


@pytest.mark.parametrize("fmt", ["raw", "base64", "hex"])
def test_file_formats_decode_to_the_same_material(tmp_path: Path, fmt: str) -> None:
    material = os.urandom(32)
    encoded = {
        "raw": material,
        "base64": base64.b64encode(material) + b"\n",
        "hex": material.hex().encode(),
    }[fmt]
    path = _write(tmp_path / "m", encoded)
    with open_source(f"file://{path}?format={fmt}").read(SYM) as got:
        assert bytes(got.buffer) == material


def test_material_is_zeroed_after_use(tmp_path: Path) -> None:
    path = _write(tmp_path / "m", os.urandom(32))
    with open_source(f"file://{path}").read(SYM) as material:
        buffer = material.buffer
    assert buffer == bytearray(32)


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644, 0o660])
def test_files_others_can_reach_are_refused(tmp_path: Path, mode: int) -> None:
    path = _write(tmp_path / "m", os.urandom(32), mode)
    with pytest.raises(SourceError, match="chmod 600"):
        open_source(f"file://{path}").read(SYM)


@pytest.mark.parametrize("mode", [0o600, 0o644])
def test_a_symlink_is_never_followed(tmp_path: Path, mode: int) -> None:
    """O_NOFOLLOW: even a link to a good 0600 file is refused (the link can be re-pointed)."""
    target = _write(tmp_path / "m", os.urandom(32), mode)
    link = tmp_path / "link"
    link.symlink_to(target)
    with pytest.raises(SourceError, match="is a symbolic link"):
        open_source(f"file://{link}").read(SYM)


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("no-scheme-here", "has no scheme"),
        ("ftp://x/y", "unknown material source scheme"),
        ("file://relative/path", "absolute path"),
        ("file:///x?format=zip", "unknown format"),
        ("file:///x?colour=red", "unknown parameter"),
        ("file:///does/not/exist", "does not exist"),
        ("generate:k", "has no escrow"),
        ("generate:k?escrow=s3://bucket/x", "file:///absolute/dir"),
        ("generate:../k?escrow=file:///tmp/e", "plain file name"),
    ],
)
def test_bad_references_fail_with_one_clear_line(uri: str, message: str) -> None:
    with pytest.raises(SourceError, match=message) as caught:
        open_source(uri).read(SYM)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("size", "spec"),
    [(31, "SYMMETRIC_DEFAULT"), (33, "SYMMETRIC_DEFAULT"), (27, "HMAC_224"), (129, "HMAC_512")],
)
def test_wrong_sizes_are_refused(tmp_path: Path, size: int, spec: str) -> None:
    path = _write(tmp_path / "m", os.urandom(size))
    with pytest.raises(MaterialError, match=f"holds {size} bytes"):
        open_source(f"file://{path}").read(key_spec(spec))


def test_bad_base64_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path / "m", b"not base64 at all!")
    with pytest.raises(MaterialError, match="not valid base64"):
        open_source(f"file://{path}?format=base64").read(SYM)


def test_generate_escrows_once_and_reuses(tmp_path: Path) -> None:
    escrow = tmp_path / "escrow"
    uri = f"generate:demo?escrow=file://{escrow}"
    with open_source(uri).read(SYM) as first:
        first_bytes = bytes(first.buffer)
        first_fp = first.fingerprint()
    with open_source(uri).read(SYM) as again:
        assert bytes(again.buffer) == first_bytes
        assert again.fingerprint() == first_fp
    key_file = escrow / "demo.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(escrow.stat().st_mode) == 0o700
    assert key_file.read_bytes() == first_bytes
    assert [p.name for p in escrow.iterdir()] == ["demo.key"]  # no temp file left behind


def test_generate_refuses_an_open_escrow_folder(tmp_path: Path) -> None:
    escrow = tmp_path / "escrow"
    escrow.mkdir(mode=0o755)
    escrow.chmod(0o755)
    with pytest.raises(SourceError, match="chmod 700"):
        open_source(f"generate:x?escrow=file://{escrow}").read(SYM)


def test_generate_names_give_distinct_material(tmp_path: Path) -> None:
    fps = set()
    for name in ("g1", "g2"):
        with open_source(f"generate:{name}?escrow=file://{tmp_path}/e").read(SYM) as m:
            fps.add(m.fingerprint())
    assert len(fps) == 2


@pytest.mark.parametrize("spec_name", ["RSA_2048", "ECC_NIST_P256", "ECC_SECG_P256K1"])
def test_generate_private_keys_match_their_spec(tmp_path: Path, spec_name: str) -> None:
    spec = key_spec(spec_name)
    with open_source(f"generate:k?escrow=file://{tmp_path}/e").read(spec) as m:
        assert m.fingerprint(spec).startswith("sha256-spki:")


def test_pem_private_keys_become_pkcs8_der(tmp_path: Path) -> None:
    key = ec.generate_private_key(ec.SECP384R1())
    sec1 = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    path = _write(tmp_path / "k.pem", sec1)
    with open_source(f"file://{path}?format=pem").read(key_spec("ECC_NIST_P384")) as m:
        assert bytes(m.buffer) == key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )


def test_private_key_of_the_wrong_size_is_refused(tmp_path: Path) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    der = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path = _write(tmp_path / "k.der", der)
    with pytest.raises(MaterialError, match="RSA-3072"):
        open_source(f"file://{path}?format=der").read(key_spec("RSA_3072"))


def test_guide_tfvars_example_has_one_valid_reference_per_source() -> None:
    """docs/guide.md's `### Sources in terraform.tfvars` block: real tfvars, every scheme, each
    parses."""
    import re

    from kms_import import tfvars

    guide = (Path(__file__).parents[2] / "docs" / "guide.md").read_text()
    section = guide.split("### Sources in terraform.tfvars", 1)[1]
    block = re.search(r"```hcl\n(.*?)```", section, re.DOTALL)
    assert block is not None
    doc = tfvars.load_text(block.group(1), Path("guide.md"))  # as the Makefile verbs read it
    generations = doc.values["generations"]
    assert doc.active in generations
    root = (Path(__file__).parents[2] / "variables.tf").read_text()
    schemes = set()
    for options in generations.values():
        assert set(options) <= set(re.findall(r"^\s+(\w+)\s+= ", root, re.MULTILINE))
        source = open_source(options["material_source"])  # parses only: no file, AWS or HSM
        schemes.add(source.SCHEME)
        if source.SCHEME == "pkcs11":  # SoftHSM2 cannot wrap with the default algorithm
            assert options["wrapping_algorithm"] in ("RSAES_OAEP_SHA_1", "RSA_AES_KEY_WRAP_SHA_1")
    assert schemes == set(registry())
