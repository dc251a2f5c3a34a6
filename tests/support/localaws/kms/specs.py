"""What KMS allows per key spec and per wrapping choice (the facts, no behaviour)."""

from __future__ import annotations

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

SYMMETRIC = "SYMMETRIC_DEFAULT"
SYMMETRIC_MATERIAL_BYTES = 32

# (minimum, maximum) imported HMAC material in bytes: at least the digest length, at most
# the hash block size (64 bytes for SHA-224/256, 128 for SHA-384/512).
HMAC_MATERIAL_BYTES = {
    "HMAC_224": (28, 64),
    "HMAC_256": (32, 64),
    "HMAC_384": (48, 128),
    "HMAC_512": (64, 128),
}
MAC_ALGORITHM_FOR_SPEC = {
    "HMAC_224": "HMAC_SHA_224",
    "HMAC_256": "HMAC_SHA_256",
    "HMAC_384": "HMAC_SHA_384",
    "HMAC_512": "HMAC_SHA_512",
}

RSA_BITS = {"RSA_2048": 2048, "RSA_3072": 3072, "RSA_4096": 4096}
CURVES: dict[str, type[ec.EllipticCurve]] = {
    "ECC_NIST_P256": ec.SECP256R1,
    "ECC_NIST_P384": ec.SECP384R1,
    "ECC_NIST_P521": ec.SECP521R1,
    "ECC_SECG_P256K1": ec.SECP256K1,
}
ECDSA_ALGORITHM_FOR_SPEC = {
    "ECC_NIST_P256": "ECDSA_SHA_256",
    "ECC_NIST_P384": "ECDSA_SHA_384",
    "ECC_NIST_P521": "ECDSA_SHA_512",
    "ECC_SECG_P256K1": "ECDSA_SHA_256",
}

# name -> (hash for OAEP digest and MGF1, material is AES-key-wrapped after the RSA part)
WRAPPING_ALGORITHMS: dict[str, tuple[type[hashes.HashAlgorithm], bool]] = {
    "RSAES_OAEP_SHA_1": (hashes.SHA1, False),
    "RSAES_OAEP_SHA_256": (hashes.SHA256, False),
    "RSA_AES_KEY_WRAP_SHA_1": (hashes.SHA1, True),
    "RSA_AES_KEY_WRAP_SHA_256": (hashes.SHA256, True),
}
WRAPPING_KEY_SPECS = {"RSA_2048": 2048, "RSA_3072": 3072, "RSA_4096": 4096}

EXPIRATION_MODELS = ("KEY_MATERIAL_EXPIRES", "KEY_MATERIAL_DOES_NOT_EXPIRE")
# ValidTo may be at most this far ahead of the ImportKeyMaterial request.
MAX_VALID_TO_DAYS = 365
IMPORT_PARAMETERS_VALID_HOURS = 24

DELETION_WINDOW_DAYS = (7, 30)

SIGNING_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "RSASSA_PSS_SHA_256": hashes.SHA256,
    "RSASSA_PSS_SHA_384": hashes.SHA384,
    "RSASSA_PSS_SHA_512": hashes.SHA512,
    "RSASSA_PKCS1_V1_5_SHA_256": hashes.SHA256,
    "RSASSA_PKCS1_V1_5_SHA_384": hashes.SHA384,
    "RSASSA_PKCS1_V1_5_SHA_512": hashes.SHA512,
    "ECDSA_SHA_256": hashes.SHA256,
    "ECDSA_SHA_384": hashes.SHA384,
    "ECDSA_SHA_512": hashes.SHA512,
}
RSA_ENCRYPTION_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "RSAES_OAEP_SHA_1": hashes.SHA1,
    "RSAES_OAEP_SHA_256": hashes.SHA256,
}


def is_hmac(key_spec: str) -> bool:
    return key_spec in HMAC_MATERIAL_BYTES


def is_asymmetric(key_spec: str) -> bool:
    return key_spec in RSA_BITS or key_spec in CURVES
