"""The key-spec table: what each importable KMS key spec is, what it may be used for, and how
its material may be wrapped. It is the one place these rules live: the modules' HCL copy
(modules/external-keys/specs.tf) is generated from it by `make docs`, and a test fails when
that copy is stale.

Sizes follow the KMS developer guide ("Import key material: requirements"): symmetric keys take
exactly 256 bits; HMAC keys take between the digest size and the block size of their hash;
asymmetric keys take a PKCS#8 DER private key of the key spec's algorithm and size.

Usages follow CreateKey's KeySpec/KeyUsage rules, narrowed to what kms-import can prove (no
KEY_AGREEMENT). Wrappings follow GetParametersForImport (WrappingAlgorithm): RSA private keys
only through RSA_AES_KEY_WRAP_*; everything else through any algorithm, as long as the material
fits (wrapping.check_combination refuses ECC_NIST_P521 under RSAES_OAEP with RSA_2048).

This module imports nothing of the helper's but errors: the others build on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from .errors import UsageError


class Kind(Enum):
    SYMMETRIC = "symmetric"
    HMAC = "hmac"
    RSA = "rsa"
    ECC = "ecc"


WRAPPING_ALGORITHMS = (
    "RSAES_OAEP_SHA_1",
    "RSAES_OAEP_SHA_256",
    "RSA_AES_KEY_WRAP_SHA_1",
    "RSA_AES_KEY_WRAP_SHA_256",
)
WRAPPING_KEY_SPECS = ("RSA_2048", "RSA_3072", "RSA_4096")
# The proofs' fixed encryption context (verify.py): the importer policy allows Encrypt and
# Decrypt only with it, so the deploy role cannot decrypt the key's other ciphertexts.
PROOF_ENCRYPTION_CONTEXT = {"kms-import": "proof"}
# The proof of an ENCRYPT_DECRYPT private key: a local RSA-OAEP encryption KMS must decrypt.
PROOF_DECRYPTION_ALGORITHM = "RSAES_OAEP_SHA_256"
_AES_KEY_WRAP = tuple(a for a in WRAPPING_ALGORITHMS if a.startswith("RSA_AES_KEY_WRAP"))

# What a key of each kind may do. The first usage is the default when only one fits.
USAGES_BY_KIND: dict[Kind, tuple[str, ...]] = {
    Kind.SYMMETRIC: ("ENCRYPT_DECRYPT",),
    Kind.HMAC: ("GENERATE_VERIFY_MAC",),
    Kind.RSA: ("ENCRYPT_DECRYPT", "SIGN_VERIFY"),
    Kind.ECC: ("SIGN_VERIFY",),
}
# Key usages an imported key can have that kms-import can prove (KEY_AGREEMENT: no proof yet).
KEY_USAGES = ("ENCRYPT_DECRYPT", "SIGN_VERIFY", "GENERATE_VERIFY_MAC")


@dataclass(frozen=True)
class KeySpec:
    name: str
    kind: Kind
    min_bytes: int = 0  # secret material only
    # The largest material a wrapping must carry: secret keys' maximum; for ECC the PKCS#8 DER
    # with its public key (measured with cryptography); 0 for RSA, which KMS takes only through
    # RSA_AES_KEY_WRAP_* (no OAEP limit applies).
    max_bytes: int = 0
    rsa_bits: int = 0
    curve: str = ""  # cryptography's curve name for ECC specs
    # The one algorithm each proof uses (verify.py), so the importer policy can allow exactly
    # it (kms:MacAlgorithm, kms:SigningAlgorithm): HMAC keys' MAC, private keys' signature.
    mac_algorithm: str | None = None
    signing_algorithm: str | None = None

    @property
    def is_secret(self) -> bool:
        return self.kind in (Kind.SYMMETRIC, Kind.HMAC)

    @property
    def usages(self) -> tuple[str, ...]:
        return USAGES_BY_KIND[self.kind]

    @property
    def default_usage(self) -> str | None:
        """The one usage a key of this spec can have; None when it must be chosen (RSA)."""
        return self.usages[0] if len(self.usages) == 1 else None

    @property
    def wrapping_algorithms(self) -> tuple[str, ...]:
        """The wrapping algorithms KMS accepts for this spec's material."""
        return _AES_KEY_WRAP if self.kind is Kind.RSA else WRAPPING_ALGORITHMS

    @property
    def default_wrapping_algorithm(self) -> str:
        """The seed's RSAES_OAEP_SHA_256 for secret keys; RSA_AES_KEY_WRAP_SHA_256 for private
        keys, the one algorithm that carries every private key with every wrapping key spec."""
        return "RSAES_OAEP_SHA_256" if self.is_secret else "RSA_AES_KEY_WRAP_SHA_256"

    def generated_size(self) -> int:
        """Bytes `generate:` draws for secret specs: the digest size (the spec's minimum)."""
        return self.min_bytes


SPECS: dict[str, KeySpec] = {
    spec.name: spec
    for spec in (
        KeySpec("SYMMETRIC_DEFAULT", Kind.SYMMETRIC, 32, 32),
        KeySpec("HMAC_224", Kind.HMAC, 28, 64, mac_algorithm="HMAC_SHA_224"),
        KeySpec("HMAC_256", Kind.HMAC, 32, 64, mac_algorithm="HMAC_SHA_256"),
        KeySpec("HMAC_384", Kind.HMAC, 48, 128, mac_algorithm="HMAC_SHA_384"),
        KeySpec("HMAC_512", Kind.HMAC, 64, 128, mac_algorithm="HMAC_SHA_512"),
        KeySpec("RSA_2048", Kind.RSA, rsa_bits=2048, signing_algorithm="RSASSA_PSS_SHA_256"),
        KeySpec("RSA_3072", Kind.RSA, rsa_bits=3072, signing_algorithm="RSASSA_PSS_SHA_256"),
        KeySpec("RSA_4096", Kind.RSA, rsa_bits=4096, signing_algorithm="RSASSA_PSS_SHA_256"),
        KeySpec(
            "ECC_NIST_P256", Kind.ECC, 0, 138, curve="secp256r1", signing_algorithm="ECDSA_SHA_256"
        ),
        KeySpec(
            "ECC_NIST_P384", Kind.ECC, 0, 185, curve="secp384r1", signing_algorithm="ECDSA_SHA_384"
        ),
        KeySpec(
            "ECC_NIST_P521", Kind.ECC, 0, 241, curve="secp521r1", signing_algorithm="ECDSA_SHA_512"
        ),
        KeySpec(
            "ECC_SECG_P256K1",
            Kind.ECC,
            0,
            135,
            curve="secp256k1",
            signing_algorithm="ECDSA_SHA_256",
        ),
    )
}


def key_spec(name: str) -> KeySpec:
    try:
        return SPECS[name]
    except KeyError:
        raise UsageError(f"unknown key spec {name!r}", f"use one of {', '.join(SPECS)}") from None
