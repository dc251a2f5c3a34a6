"""The floor for one import: GetParametersForImport, wrap, ImportKeyMaterial and Encrypt in
one Python process with nothing else (no checks, no retries, no proof beyond the encrypt).

Run as a script by bench/single.py: `python bench/floor.py KEY_ARN`.
"""

from __future__ import annotations

import secrets
import sys

import boto3
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding


def main(key_id: str) -> None:
    kms = boto3.client("kms")
    params = kms.get_parameters_for_import(
        KeyId=key_id, WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_3072"
    )
    public_key = serialization.load_der_public_key(params["PublicKey"])
    oaep = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
    wrapped = public_key.encrypt(secrets.token_bytes(32), oaep)  # type: ignore[union-attr]
    kms.import_key_material(
        KeyId=key_id,
        ImportToken=params["ImportToken"],
        EncryptedKeyMaterial=wrapped,
        ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE",
    )
    kms.encrypt(KeyId=key_id, Plaintext=b"sensitive data\n")


if __name__ == "__main__":
    main(sys.argv[1])
