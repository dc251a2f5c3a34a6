"""Imported HMAC and asymmetric material is used for real: MACs, signatures and RSA
encryption that an independent implementation (pyca/cryptography) agrees with."""

from __future__ import annotations

import hashlib
import hmac
import os

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding
from kms_conformance import expect_error, external_key, import_material, pkcs8, private_key, state

HMAC_SPECS = {
    "HMAC_224": ("HMAC_SHA_224", hashlib.sha224, 28, 64),
    "HMAC_256": ("HMAC_SHA_256", hashlib.sha256, 32, 64),
    "HMAC_384": ("HMAC_SHA_384", hashlib.sha384, 48, 128),
    "HMAC_512": ("HMAC_SHA_512", hashlib.sha512, 64, 128),
}
AES_WRAP = {"algorithm": "RSA_AES_KEY_WRAP_SHA_256"}


def _key(kms, spec, usage):
    return external_key(kms, KeySpec=spec, KeyUsage=usage)


@pytest.mark.parametrize("spec", sorted(HMAC_SPECS))
def test_hmac_keys_mac_with_the_imported_material(kms, spec):
    algorithm, digest, _, high = HMAC_SPECS[spec]
    key_id = _key(kms, spec, "GENERATE_VERIFY_MAC")
    material = os.urandom(high)
    import_material(kms, key_id, material, **AES_WRAP)
    mac = kms.generate_mac(KeyId=key_id, Message=b"msg", MacAlgorithm=algorithm)["Mac"]
    assert mac == hmac.new(material, b"msg", digest).digest()
    assert kms.verify_mac(KeyId=key_id, Message=b"msg", MacAlgorithm=algorithm, Mac=mac)["MacValid"]
    expect_error(
        "KMSInvalidMacException",
        kms.verify_mac,
        KeyId=key_id,
        Message=b"other",
        MacAlgorithm=algorithm,
        Mac=mac,
    )


@pytest.mark.parametrize("spec", sorted(HMAC_SPECS))
def test_hmac_material_length_limits(kms, spec):
    _, _, low, high = HMAC_SPECS[spec]
    key_id = _key(kms, spec, "GENERATE_VERIFY_MAC")
    for size in (low - 1, high + 1):
        expect_error(
            "IncorrectKeyMaterialException",
            import_material,
            kms=kms,
            key_id=key_id,
            material=os.urandom(size),
            **AES_WRAP,
        )
    import_material(kms, key_id, os.urandom(low), **AES_WRAP)
    assert state(kms, key_id) == "Enabled"


def test_hmac_key_refuses_another_mac_algorithm_and_encrypt(kms):
    key_id = _key(kms, "HMAC_256", "GENERATE_VERIFY_MAC")
    import_material(kms, key_id, os.urandom(32))
    expect_error(
        "InvalidKeyUsageException",
        kms.generate_mac,
        KeyId=key_id,
        Message=b"m",
        MacAlgorithm="HMAC_SHA_512",
    )
    expect_error("InvalidKeyUsageException", kms.encrypt, KeyId=key_id, Plaintext=b"m")


def test_pending_import_hmac_key_refuses_mac(kms):
    key_id = _key(kms, "HMAC_256", "GENERATE_VERIFY_MAC")
    expect_error(
        "KMSInvalidStateException",
        kms.generate_mac,
        KeyId=key_id,
        Message=b"m",
        MacAlgorithm="HMAC_SHA_256",
    )


@pytest.mark.parametrize(
    "spec,algorithm,curve",
    [
        ("ECC_NIST_P256", "ECDSA_SHA_256", ec.SECP256R1),
        ("ECC_NIST_P384", "ECDSA_SHA_384", ec.SECP384R1),
        ("ECC_NIST_P521", "ECDSA_SHA_512", ec.SECP521R1),
        ("ECC_SECG_P256K1", "ECDSA_SHA_256", ec.SECP256K1),
    ],
)
def test_imported_ecc_keys_sign_der_ecdsa(kms, spec, algorithm, curve):
    key_id = _key(kms, spec, "SIGN_VERIFY")
    private = private_key(spec)
    import_material(kms, key_id, pkcs8(private), **AES_WRAP)
    public_der = kms.get_public_key(KeyId=key_id)["PublicKey"]
    public = serialization.load_der_public_key(public_der)
    assert public_der == private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    signature = kms.sign(KeyId=key_id, Message=b"msg", SigningAlgorithm=algorithm)["Signature"]
    hash_type = {
        "ECDSA_SHA_256": hashes.SHA256,
        "ECDSA_SHA_384": hashes.SHA384,
        "ECDSA_SHA_512": hashes.SHA512,
    }[algorithm]
    public.verify(signature, b"msg", ec.ECDSA(hash_type()))  # raises if not DER/valid
    assert kms.verify(
        KeyId=key_id, Message=b"msg", Signature=signature, SigningAlgorithm=algorithm
    )["SignatureValid"]
    expect_error(
        "KMSInvalidSignatureException",
        kms.verify,
        KeyId=key_id,
        Message=b"x",
        Signature=signature,
        SigningAlgorithm=algorithm,
    )


@pytest.mark.parametrize("spec", ["RSA_2048", "RSA_3072", "RSA_4096"])
def test_imported_rsa_keys_sign_pss_with_digest_length_salt(kms, spec):
    key_id = _key(kms, spec, "SIGN_VERIFY")
    private = private_key(spec)
    import_material(kms, key_id, pkcs8(private), **AES_WRAP)
    signature = kms.sign(KeyId=key_id, Message=b"msg", SigningAlgorithm="RSASSA_PSS_SHA_256")[
        "Signature"
    ]
    # An explicit 32-byte salt fails unless KMS's digest-length salt was used.
    private.public_key().verify(
        signature,
        b"msg",
        padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32),
        hashes.SHA256(),
    )
    pkcs1 = kms.sign(KeyId=key_id, Message=b"msg", SigningAlgorithm="RSASSA_PKCS1_V1_5_SHA_384")[
        "Signature"
    ]
    private.public_key().verify(pkcs1, b"msg", padding.PKCS1v15(), hashes.SHA384())


def test_sign_a_digest(kms):
    key_id = _key(kms, "ECC_NIST_P256", "SIGN_VERIFY")
    import_material(kms, key_id, pkcs8(private_key("ECC_NIST_P256")), **AES_WRAP)
    digest = hashlib.sha256(b"msg").digest()
    signature = kms.sign(
        KeyId=key_id, Message=digest, MessageType="DIGEST", SigningAlgorithm="ECDSA_SHA_256"
    )["Signature"]
    assert kms.verify(
        KeyId=key_id, Message=b"msg", Signature=signature, SigningAlgorithm="ECDSA_SHA_256"
    )["SignatureValid"]


def test_imported_rsa_encrypt_decrypt_key(kms):
    key_id = _key(kms, "RSA_2048", "ENCRYPT_DECRYPT")
    private = private_key("RSA_2048")
    import_material(kms, key_id, pkcs8(private), **AES_WRAP)
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"hi", EncryptionAlgorithm="RSAES_OAEP_SHA_256")[
        "CiphertextBlob"
    ]
    oaep = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
    assert private.decrypt(blob, oaep) == b"hi"
    assert (
        kms.decrypt(KeyId=key_id, CiphertextBlob=blob, EncryptionAlgorithm="RSAES_OAEP_SHA_256")[
            "Plaintext"
        ]
        == b"hi"
    )
    expect_error("InvalidKeyUsageException", kms.encrypt, KeyId=key_id, Plaintext=b"hi")


@pytest.mark.parametrize(
    "spec,material",
    [
        ("ECC_NIST_P384", lambda: pkcs8(private_key("ECC_NIST_P256"))),
        ("RSA_3072", lambda: pkcs8(private_key("RSA_2048"))),
        ("ECC_NIST_P256", lambda: pkcs8(private_key("RSA_2048"))),
        (
            "RSA_2048",
            lambda: private_key("RSA_2048").private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.TraditionalOpenSSL,
                serialization.NoEncryption(),
            ),
        ),
        ("ECC_NIST_P256", lambda: os.urandom(64)),
    ],
    ids=["wrong-curve", "wrong-rsa-size", "wrong-type", "pkcs1-not-pkcs8", "not-a-key"],
)
def test_private_key_material_must_match_the_key_spec(kms, spec, material):
    key_id = _key(kms, spec, "SIGN_VERIFY")
    expect_error(
        "IncorrectKeyMaterialException",
        import_material,
        kms=kms,
        key_id=key_id,
        material=material(),
        **AES_WRAP,
    )


def test_different_private_key_after_first_import_is_refused(kms):
    key_id = _key(kms, "ECC_NIST_P256", "SIGN_VERIFY")
    import_material(kms, key_id, pkcs8(private_key("ECC_NIST_P256")), **AES_WRAP)
    kms.delete_imported_key_material(KeyId=key_id)
    other = ec.generate_private_key(ec.SECP256R1())
    expect_error(
        "IncorrectKeyMaterialException",
        import_material,
        kms=kms,
        key_id=key_id,
        material=pkcs8(other),
        **AES_WRAP,
    )


def test_kms_generated_rsa_keys_also_use_digest_length_salt(kms):
    key_id = kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    public = serialization.load_der_public_key(kms.get_public_key(KeyId=key_id)["PublicKey"])
    signature = kms.sign(KeyId=key_id, Message=b"m", SigningAlgorithm="RSASSA_PSS_SHA_512")[
        "Signature"
    ]
    public.verify(
        signature,
        b"m",
        padding.PSS(mgf=padding.MGF1(hashes.SHA512()), salt_length=64),
        hashes.SHA512(),
    )


def test_get_public_key_of_a_symmetric_key_is_unsupported(kms):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    expect_error("UnsupportedOperationException", kms.get_public_key, KeyId=key_id)
