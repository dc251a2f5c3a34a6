"""HMAC and private keys end to end through Terraform (issue #8's Terraform side).

One root holds three generations: HMAC_256 from escrowed `generate:` material, RSA_2048
SIGN_VERIFY from a PKCS#8 DER file, ECC_NIST_P256 from escrowed material. One apply; each key
is proven against the local material (GenerateMac equals the local HMAC; GetPublicKey equals
the local public key and a KMS signature verifies locally); then the RSA key is dropped from
state and adopted back with an import block, which must not plan its replacement (the
provider's Read never sets key_spec: hashicorp/terraform-provider-aws#46080). Invalid
key_spec / key_usage pairs are refused by plan alone. Every applied test ends with a second
plan at exit code 0 and the leak scan.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from iameval import Request, allowed, requests_for_call

from .workspace import Workspace, key_address

pytestmark = pytest.mark.e2e

RSA_KEY = key_address("g2")


def _rsa_file(directory: Path, name: str = "signing.der") -> tuple[Path, bytes]:
    directory.mkdir(mode=0o700, exist_ok=True)
    der = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path = directory / name
    path.write_bytes(der)
    path.chmod(0o600)
    return path, der


def _public_der(private_der: bytes) -> bytes:
    key = serialization.load_der_private_key(private_der, password=None)
    return key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _kms_signature(
    kms: Any, generation: dict[str, Any], material: bytes, message: bytes, algorithm: str
) -> tuple[bytes, bytes]:
    """The key's public key (checked to be the material's) and KMS's signature of message."""
    public = kms.get_public_key(KeyId=generation["key_arn"])["PublicKey"]
    assert public == _public_der(material)
    signed = kms.sign(
        KeyId=generation["key_arn"], Message=message, MessageType="RAW", SigningAlgorithm=algorithm
    )
    return public, signed["Signature"]


def _key_plan_actions(ws: Workspace, plan_file: Path) -> dict[str, Any]:
    plan = json.loads(ws.tf("show", "-json", str(plan_file)).stdout)
    ws.plans.append(json.dumps(plan))
    return {c["address"]: c["change"] for c in plan.get("resource_changes", [])}


def test_hmac_rsa_and_ecc_keys_apply_prove_and_readopt(workspace, tmp_path):
    escrow = tmp_path / "escrow"
    rsa_path, rsa_der = _rsa_file(tmp_path / "keys")
    decrypt_path, decrypt_der = _rsa_file(tmp_path / "keys", "decrypt.der")
    workspace.write_generations(
        active="g1",
        g1={"material_source": f"generate:mac?escrow=file://{escrow}", "key_spec": "HMAC_256"},
        g2={
            "material_source": f"file://{rsa_path}?format=der",
            "key_spec": "RSA_2048",
            "key_usage": "SIGN_VERIFY",
        },
        g3={"material_source": f"generate:ec?escrow=file://{escrow}", "key_spec": "ECC_NIST_P256"},
        g4={
            "material_source": f"file://{decrypt_path}?format=der",
            "key_spec": "RSA_2048",
            "key_usage": "ENCRYPT_DECRYPT",
        },
    )
    workspace.stack.control("DELETE", "/_localaws/calls")
    workspace.apply()
    kms = workspace.kms()
    gens = workspace.outputs()["generations"]
    assert {n: (g["key_spec"], g["key_usage"]) for n, g in gens.items()} == {
        "g1": ("HMAC_256", "GENERATE_VERIFY_MAC"),
        "g2": ("RSA_2048", "SIGN_VERIFY"),
        "g3": ("ECC_NIST_P256", "SIGN_VERIFY"),
        "g4": ("RSA_2048", "ENCRYPT_DECRYPT"),
    }
    _importer_policy_allows_the_proofs(workspace)
    for name, gen in gens.items():
        meta = kms.describe_key(KeyId=gen["key_arn"])["KeyMetadata"]
        assert (meta["KeySpec"], meta["KeyUsage"], meta["KeyState"]) == (
            gen["key_spec"],
            gen["key_usage"],
            "Enabled",
        ), name

    # HMAC_256 through the alias: KMS's MAC is the one the escrowed material computes.
    mac_material = (escrow / "mac.key").read_bytes()
    assert len(mac_material) == 32
    message = b"sensitive data\n"
    remote = kms.generate_mac(
        KeyId="alias/MyImportedKey", Message=message, MacAlgorithm="HMAC_SHA_256"
    )["Mac"]
    assert remote == hmac.new(mac_material, message, hashlib.sha256).digest()

    # RSA_2048 SIGN_VERIFY: same public key; a KMS signature verifies with the local key.
    public, signature = _kms_signature(kms, gens["g2"], rsa_der, message, "RSASSA_PSS_SHA_256")
    pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
    rsa_public = serialization.load_der_public_key(public)
    assert isinstance(rsa_public, rsa.RSAPublicKey)
    rsa_public.verify(signature, message, pss, hashes.SHA256())  # raises if it does not

    # ECC_NIST_P256: same public key; an ECDSA signature verifies locally.
    ec_material = (escrow / "ec.key").read_bytes()
    public, signature = _kms_signature(kms, gens["g3"], ec_material, message, "ECDSA_SHA_256")
    ec_public = serialization.load_der_public_key(public)
    assert isinstance(ec_public, ec.EllipticCurvePublicKey)
    ec_public.verify(signature, message, ec.ECDSA(hashes.SHA256()))

    # Re-adoption (as `make cancel-deletion` does): the RSA key leaves state and comes back
    # through an import block. Read does not set key_spec, so without the module's guard
    # the provider would plan `key_spec: null -> "RSA_2048"`, forcing a replacement.
    rsa_id = gens["g2"]["key_id"]
    workspace.tf("state", "rm", RSA_KEY)
    (workspace.dir / "adopt.tf").write_text(f'import {{\n  to = {RSA_KEY}\n  id = "{rsa_id}"\n}}\n')
    plan_file = workspace.dir / "adopt.tfplan"
    workspace.tf("plan", "-input=false", f"-out={plan_file}")
    change = _key_plan_actions(workspace, plan_file)[RSA_KEY]
    assert change["importing"]["id"] == rsa_id
    assert "delete" not in change["actions"] and "create" not in change["actions"], change
    workspace.tf("apply", "-input=false", str(plan_file))
    (workspace.dir / "adopt.tf").unlink()
    assert workspace.outputs()["key_arns"]["g2"] == gens["g2"]["key_arn"]
    assert kms.describe_key(KeyId=rsa_id)["KeyMetadata"]["KeyState"] == "Enabled"

    assert workspace.plan_exitcode() == 0
    for material in (mac_material, rsa_der, ec_material, decrypt_der):
        workspace.assert_no_leak(material)


def _importer_policy_allows_the_proofs(ws: Workspace) -> None:
    """Every call of the import run (each spec's proof: GenerateMac, Sign, the RSA decrypt)
    is allowed by the importer policy with its conditions, and only with the proof's algorithm."""
    policy = json.loads(ws.outputs()["importer_policy_json"])
    calls = [
        c for c in ws.stack.control("GET", "/_localaws/calls") if c.get("agent") == "kms-import"
    ]
    requests = [r for c in calls for r in requests_for_call(c, lambda *_: "")]
    assert {"GenerateMac", "Sign", "Decrypt", "GetPublicKey"} <= {c["action"] for c in calls}
    assert not [str(r) for r in requests if not allowed(policy, r)]
    for request in requests:
        algorithm_key = {
            "kms:GenerateMac": ("kms:MacAlgorithm", "HMAC_SHA_512"),
            "kms:Sign": ("kms:SigningAlgorithm", "RSASSA_PKCS1_V1_5_SHA_256"),
            "kms:Decrypt": ("kms:EncryptionAlgorithm", "RSAES_OAEP_SHA_1"),
        }.get(request.action)
        if algorithm_key:
            key, other = algorithm_key
            assert request.context[key] != other, request
            changed = Request(request.action, request.resource, {**request.context, key: other})
            assert not allowed(policy, changed), changed
    sign = next(r for r in requests if r.action == "kms:Sign")
    digest = Request(sign.action, sign.resource, {**sign.context, "kms:MessageType": "DIGEST"})
    assert not allowed(policy, digest)


def test_invalid_key_spec_and_usage_refused_at_plan(workspace):
    """Plan only, nothing read or created: bad generations, one plan each (Terraform
    stops at the first module instance whose variables fail). The bad-input matrix
    (tests/reliability) covers unknown key spec and key usage names."""
    fingerprint = "hmac-sha256:" + "0" * 32
    cases = [
        (
            {"key_spec": "RSA_2048", "wrapping_algorithm": "RSAES_OAEP_SHA_256"},
            [
                "key_usage must be set for a key spec with two usages",
                # The accepted wrappings come from the generated key-spec table.
                "wrapping_algorithm does not fit key_spec (an RSA private key travels only "
                "through RSA_AES_KEY_WRAP_*): RSA_2048 takes RSA_AES_KEY_WRAP_SHA_1, "
                "RSA_AES_KEY_WRAP_SHA_256;",
            ],
        ),
        (
            {"key_spec": "HMAC_256", "key_usage": "SIGN_VERIFY"},
            ["key_usage does not fit key_spec: HMAC_256 takes GENERATE_VERIFY_MAC;"],
        ),
        (
            {"key_spec": "AES_256"},
            ["key_spec must be one of the importable key specs: ECC_NIST_P256, ECC_NIST_P384,"],
        ),
    ]
    for fields, messages in cases:
        workspace.write_generations(
            g1={
                "material_source": "file:///nonexistent/never-read.bin",
                "material_fingerprint": fingerprint,
                **fields,
            }
        )
        workspace.init()
        result = workspace.tf("plan", "-input=false", "-no-color", check=False)
        assert result.code == 1
        text = " ".join(result.stderr.replace("│", " ").split())
        for message in messages:
            assert text.count(message) == 1, (message, text[:3000])
        assert text.count("Error: Invalid value for variable") == len(messages), text[:3000]
        assert "Traceback" not in result.stderr and "never-read" not in text
    assert not (workspace.dir / "terraform.tfstate").exists()
