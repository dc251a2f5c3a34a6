"""KMS's tag rules (localaws/kms/tags.py): what kms-import and the modules write into tags
(the fingerprint and the drift token) must be what AWS accepts, so the local KMS refuses what
KMS would: keys of 1 to 128 characters, values of at most 256, AWS's tag characters only."""

from __future__ import annotations

import pytest
from kms_conformance import expect_error, external_key

# What the modules and kms-import write: the fingerprint tag and drift tokens, the longest
# the module makes (key/drift.tf cuts at 256) included.
ACCEPTED = {
    "kms-import:fingerprint": "sha256:" + "ab" * 32,
    "kms-import:drift": "",
    "kms-import:generation": "g1",
    "team": "Zahlungsverkehr / Ré-import + test@example.com = ok",
}
DRIFT_TOKENS = [
    "material missing / seen 2026-12-04T18:43:02Z",
    "eu-west-1: disabled / valid_to 2027-01-01T00:00:00Z configured none"
    " / seen 2026-12-04T18:43:02Z",
    "x" * 253 + "...",
]

REFUSED = [
    ({"TagKey": "k" * 129, "TagValue": "v"}, "1 to 128"),
    ({"TagKey": "aws:owner", "TagValue": "v"}, "aws:"),
    ({"TagKey": "k", "TagValue": "v" * 257}, "at most 256"),
    ({"TagKey": "k", "TagValue": "disabled (by hand)"}, "letters, digits"),
    ({"TagKey": "k", "TagValue": "a;b"}, "letters, digits"),
    ({"TagKey": "k*", "TagValue": "v"}, "letters, digits"),
]


def _tags(kms, key_id):
    return {t["TagKey"]: t["TagValue"] for t in kms.list_resource_tags(KeyId=key_id)["Tags"]}


def test_what_the_tools_write_is_accepted_on_create_and_tag(kms):
    tags = [{"TagKey": k, "TagValue": v} for k, v in ACCEPTED.items()]
    key_id = kms.create_key(Origin="EXTERNAL", Tags=tags)["KeyMetadata"]["KeyId"]
    assert _tags(kms, key_id) == ACCEPTED
    for token in DRIFT_TOKENS:
        kms.tag_resource(KeyId=key_id, Tags=[{"TagKey": "kms-import:drift", "TagValue": token}])
        assert _tags(kms, key_id)["kms-import:drift"] == token


@pytest.mark.parametrize(("tag", "why"), REFUSED, ids=[why for _, why in REFUSED])
def test_a_broken_tag_is_refused_and_changes_nothing(kms, tag, why):
    key_id = external_key(kms)
    error = expect_error("TagException", kms.tag_resource, KeyId=key_id, Tags=[tag])
    assert why in str(error)
    assert _tags(kms, key_id) == {}
    before = len(kms.list_keys()["Keys"])
    expect_error("TagException", kms.create_key, Origin="EXTERNAL", Tags=[tag])
    assert len(kms.list_keys()["Keys"]) == before
