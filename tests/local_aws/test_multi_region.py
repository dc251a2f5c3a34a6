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


def test_replica_has_its_own_tags_and_the_primary_stays_primary(kms):
    """ReplicateKey's Tags are the replica's own; DescribeKey tells primary from replica
    (after the replica was described too) and lists the replicas on both."""
    tag_a, tag_b = {"TagKey": "a", "TagValue": "1"}, {"TagKey": "b", "TagValue": "2"}
    primary = kms.create_key(Origin="EXTERNAL", MultiRegion=True, Tags=[tag_a])
    key_id = primary["KeyMetadata"]["KeyId"]
    kms.replicate_key(KeyId=key_id, ReplicaRegion="eu-west-1", Tags=[tag_b])
    west = boto3.client("kms", region_name="eu-west-1")
    assert west.list_resource_tags(KeyId=key_id)["Tags"] == [tag_b]
    assert kms.list_resource_tags(KeyId=key_id)["Tags"] == [tag_a]
    replica_config = west.describe_key(KeyId=key_id)["KeyMetadata"]["MultiRegionConfiguration"]
    assert replica_config["MultiRegionKeyType"] == "REPLICA"
    primary_config = kms.describe_key(KeyId=key_id)["KeyMetadata"]["MultiRegionConfiguration"]
    assert primary_config["MultiRegionKeyType"] == "PRIMARY"
    assert [r["Region"] for r in primary_config["ReplicaKeys"]] == ["eu-west-1"]
    assert replica_config["PrimaryKey"] == primary_config["PrimaryKey"]
