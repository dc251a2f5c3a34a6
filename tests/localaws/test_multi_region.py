"""Multi-Region EXTERNAL keys: each replica needs its own parameters and the SAME material
(issue 6, item 2)."""

from __future__ import annotations

import os

import boto3
from kms_conformance import expect_error, import_material, state


def test_replica_needs_the_same_material_and_then_decrypts_primary_ciphertexts(kms):
    primary = kms.create_key(Origin="EXTERNAL", MultiRegion=True)["KeyMetadata"]["KeyId"]
    assert primary.startswith("mrk-")
    material = os.urandom(32)
    import_material(kms, primary, material)
    replica_meta = kms.replicate_key(KeyId=primary, ReplicaRegion="eu-west-1")["ReplicaKeyMetadata"]
    assert replica_meta["KeyId"] == primary
    west = boto3.client("kms", region_name="eu-west-1")
    assert state(west, primary) == "PendingImport"
    assert state(kms, primary) == "Enabled"
    blob = kms.encrypt(KeyId=primary, Plaintext=b"everywhere")["CiphertextBlob"]
    expect_error("KMSInvalidStateException", west.decrypt, CiphertextBlob=blob)
    # Parameters are per Region: the primary's token is not valid in the replica.
    params = kms.get_parameters_for_import(
        KeyId=primary, WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048"
    )
    from kms_conformance import wrap

    expect_error(
        "InvalidImportTokenException",
        west.import_key_material,
        KeyId=primary,
        ImportToken=params["ImportToken"],
        EncryptedKeyMaterial=wrap(params["PublicKey"], "RSAES_OAEP_SHA_256", material),
        ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE",
    )
    expect_error(
        "IncorrectKeyMaterialException",
        import_material,
        kms=west,
        key_id=primary,
        material=os.urandom(32),
    )
    import_material(west, primary, material)
    assert west.decrypt(CiphertextBlob=blob)["Plaintext"] == b"everywhere"


def test_replica_aliases_are_per_region(kms):
    primary = kms.create_key(MultiRegion=True)["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/east-only", TargetKeyId=primary)
    kms.replicate_key(KeyId=primary, ReplicaRegion="eu-west-1")
    west = boto3.client("kms", region_name="eu-west-1")
    names = [a["AliasName"] for a in west.list_aliases(KeyId=primary)["Aliases"]]
    assert "alias/east-only" not in names
