"""Every stored material source through real Terraform: Secrets Manager, SSM and PKCS#11.

One root copy holds one generation per source (two PKCS#11 keys: one with wrapping_algorithm
set, one left to the helper) and is applied once: the keys are imported, their material
deleted, and one `make reimport` re-imports them all from their sources. The importer policy,
conditions evaluated, allows every call. The PKCS#11 keys are sensitive SoftHSM2 key objects,
wrapped for KMS by the token itself; one URI carries ; ? & and also ' and $ so the module's
shell quoting is exercised, and SOFTHSM2_CONF reaches the helper only through Terraform's
environment. Both tests end with the leak scan. (file and generate are covered in
test_seed_workflow.py.)
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any, cast

import pytest
from iameval import allowed, requests_for_call

from kms_import.keyspecs import key_spec
from kms_import.material import secret_fingerprint
from localaws.kms.ciphertext import gcm_parts

from .workspace import Workspace

pytestmark = pytest.mark.e2e

GUARD_HOOK = Path(__file__).parent / "hsmguard"
# The HSM key's label: ' and $ reach /bin/sh in local-exec's command; ; is %-encoded.
HSM_LABEL = "e2e 'quoted' $HOME;key-{}"
PLAINTEXT = b"sensitive data\n"


def _hcl(value: Any) -> str:
    """A tfvars value: JSON strings, numbers and bools are HCL too (no ${ in these)."""
    if isinstance(value, dict):
        body = "".join(f"    {k} = {_hcl(v)}\n" for k, v in value.items())
        return "{\n" + body + "  }"
    return json.dumps(value)


def _write_tfvars(ws: Workspace, active: str, generations: dict[str, dict[str, Any]]) -> None:
    """terraform.tfvars in HCL, as docs/guide.md's per-source examples write it."""
    gens = "".join(f"  {name} = {_hcl(options)}\n" for name, options in generations.items())
    text = f"active_generation = {_hcl(active)}\n\ngenerations = {{\n{gens}}}\n"
    (ws.dir / "terraform.tfvars").write_text(text)


def _stored_sources(ws: Workspace, materials: dict[str, bytes]) -> dict[str, str]:
    """Put three materials into the local AWS; their references by generation name."""
    sm = ws.client("secretsmanager")
    sm.create_secret(Name="kms/e2e/binary", SecretBinary=materials["sm-binary"])
    text = base64.b64encode(materials["sm-string"]).decode()
    arn = sm.create_secret(Name="kms/e2e/string", SecretString=text)["ARN"]
    ws.client("ssm").put_parameter(
        Name="/kms/e2e/material", Type="SecureString", Value=materials["ssm"].hex()
    )
    return {
        "sm-binary": "secretsmanager:kms/e2e/binary",
        "sm-string": f"secretsmanager:{arn}?format=base64",
        "ssm": "ssm:/kms/e2e/material?format=hex&version=1",
    }


def _hsm_opens(softhsm: Any, label: str, blob: bytes) -> bytes:
    """Decrypt a KMS ciphertext inside the token with its own key object (AES-GCM).

    The local AWS seals blobs with AES-256-GCM directly under the imported material (real
    KMS derives per-message keys, so this known-answer check exists offline only): the
    token opening one proves KMS holds exactly the token's key.
    """
    from pkcs11 import Attribute, GCMParams, Mechanism, ObjectClass
    from pkcs11.exceptions import AttributeSensitive

    iv, aad, body = gcm_parts(blob, None)
    with softhsm.session() as session:
        key = session.get_key(object_class=ObjectClass.SECRET_KEY, label=label)
        with pytest.raises(AttributeSensitive):
            key[Attribute.VALUE]  # nobody, the helper included, can read it from the token
        gcm = GCMParams(iv, aad)
        return bytes(key.decrypt(body, mechanism=Mechanism.AES_GCM, mechanism_param=gcm))


def _helper_runs(ws: Workspace) -> list[tuple[list[str], dict[str, str]]]:
    """(argv, environment) of every kms-import process Terraform started so far."""
    runs = []
    for proc in ws.watch.captured_processes():
        argv, environ = cast(list[str], proc["argv"]), cast(dict[str, str], proc["environ"])
        if Path(argv[0]).name == "kms-import":
            runs.append((argv, environ))
    return runs


def _importer_policy_allows_every_call(ws: Workspace, hsm_arn: str, auto_arn: str) -> str:
    """The importer policy, conditions evaluated, allows every call of the apply: the HSM
    keys' parameters with the algorithm their token wraps with (set, or picked by the helper
    from what the token offers: the policy allows every one the key spec takes), the others'
    with the key spec's default. Returns the algorithm picked for the unset one."""
    policy = json.loads(ws.outputs()["importer_policy_json"])
    sm = ws.client("secretsmanager")
    calls = [
        c for c in ws.stack.control("GET", "/_localaws/calls") if c.get("agent") == "kms-import"
    ]
    requests = [
        r
        for c in calls
        for r in requests_for_call(c, lambda name, _: str(sm.describe_secret(SecretId=name)["ARN"]))
    ]
    assert not [str(r) for r in requests if not allowed(policy, r)]
    asked = {
        c["key_id"].rsplit("/", 1)[-1]: c["wrapping_algorithm"]
        for c in calls
        if c["action"] == "GetParametersForImport"
    }
    hsm, auto = (asked.pop(arn.rsplit("/", 1)[-1]) for arn in (hsm_arn, auto_arn))
    assert hsm == "RSA_AES_KEY_WRAP_SHA_1"
    assert set(asked.values()) == {"RSAES_OAEP_SHA_256"}
    assert auto != "RSAES_OAEP_SHA_256", auto  # SoftHSM2 cannot: only SHA-1 (kms-facts.md)
    (statement,) = [
        s for s in policy["Statement"] if auto_arn in s["Resource"] and "Parameters" in s["Sid"]
    ]
    accepted = sorted(key_spec("SYMMETRIC_DEFAULT").wrapping_algorithms)
    assert statement["Condition"]["StringEquals"]["kms:WrappingAlgorithm"] == accepted
    return str(auto)


def test_secretsmanager_ssm_and_hsm_import_and_reimport_through_terraform(
    workspace: Workspace, tmp_path: Path, softhsm: Any
) -> None:
    ws = workspace
    names = ("sm-binary", "sm-string", "ssm", "hsm", "hsm-auto")
    materials = {name: os.urandom(32) for name in names}
    sources = _stored_sources(ws, materials)
    label = HSM_LABEL.format(os.urandom(4).hex())  # the token lives for the whole session
    softhsm.add_key(label, materials["hsm"], DECRYPT=True)
    sources["hsm"] = softhsm.uri(label, object_safe="'$")
    # A second token key with no wrapping_algorithm: the helper picks what the token offers.
    auto_label = HSM_LABEL.format(os.urandom(4).hex()).replace("'", "").replace("$", "")
    softhsm.add_key(auto_label, materials["hsm-auto"], DECRYPT=True)
    sources["hsm-auto"] = softhsm.uri(auto_label)
    assert all(c in sources["hsm"] for c in ";?&'$")
    guard = tmp_path / "hsmguard"
    guard.mkdir()
    ws.runner.env.update(
        SOFTHSM2_CONF=str(softhsm.conf), PYTHONPATH=str(GUARD_HOOK), E2E_HSM_GUARD_DIR=str(guard)
    )
    generations: dict[str, dict[str, Any]] = {g: {"material_source": s} for g, s in sources.items()}
    # SoftHSM2 wraps with SHA-1 OAEP only; this one composes RSA + AES key wrap in the token.
    generations["hsm"]["wrapping_algorithm"] = "RSA_AES_KEY_WRAP_SHA_1"
    _write_tfvars(ws, "hsm", generations)
    ws.apply()

    out = ws.outputs()
    arns = dict(out["key_arns"])
    assert set(arns) == set(materials)
    kms = ws.kms()
    blobs = {}
    for gen, material in materials.items():
        assert out["generations"][gen]["material_fingerprint"] == secret_fingerprint(material)
        assert kms.describe_key(KeyId=arns[gen])["KeyMetadata"]["KeyState"] == "Enabled"
        blobs[gen] = kms.encrypt(KeyId=arns[gen], Plaintext=PLAINTEXT)["CiphertextBlob"]
    assert out["key_arn"] == arns["hsm"]
    auto = _importer_policy_allows_every_call(ws, arns["hsm"], arns["hsm-auto"])
    # One mark per algorithm and process (wrapped-ALGORITHM-PID): both keys in one run.
    token_wraps = sorted({"wrapped-RSA_AES_KEY_WRAP_SHA_1", f"wrapped-{auto}"})
    # The token wrapped the keys (as asked); the helper never read their values.
    assert sorted(p.name.rsplit("-", 1)[0] for p in guard.iterdir()) == token_wraps
    assert _hsm_opens(softhsm, label, blobs["hsm"]) == PLAINTEXT
    # One helper run at plan, one at apply; the URI arrives intact in the import step's
    # argv (no shell), and SOFTHSM2_CONF reaches both.
    helpers = _helper_runs(ws)
    # argv: kms-import --requires RANGE COMMAND ... (the module's version handshake)
    assert {argv[1] for argv, _ in helpers} == {"--requires"}
    assert sorted(argv[3] for argv, _ in helpers) == ["import-keys", "plan-keys"]
    (imports,) = [argv for argv, _ in helpers if argv[3] == "import-keys"]
    entries = [json.loads(imports[i + 1]) for i, arg in enumerate(imports) if arg == "--key"]
    assert {e["name"]: e["material_source"] for e in entries} == sources
    assert all(env.get("SOFTHSM2_CONF") == str(softhsm.conf) for _, env in helpers)

    for arn in arns.values():
        kms.delete_imported_key_material(KeyId=arn)
    assert {kms.describe_key(KeyId=a)["KeyMetadata"]["KeyState"] for a in arns.values()} == {
        "PendingImport"
    }
    ws.make("reimport", AUTO_APPROVE="1")  # whatever is missing: here every key
    for gen, arn in arns.items():
        assert kms.describe_key(KeyId=arn)["KeyMetadata"]["KeyState"] == "Enabled"
        assert kms.decrypt(KeyId=arn, CiphertextBlob=blobs[gen])["Plaintext"] == PLAINTEXT
    assert sorted(p.name.rsplit("-", 1)[0] for p in guard.iterdir()) == sorted(token_wraps * 2)
    assert ws.plan_exitcode() == 0
    for material in materials.values():
        ws.assert_no_leak(material)


def test_a_missing_secret_fails_the_plan_with_one_clear_line(workspace: Workspace) -> None:
    ws = workspace
    _write_tfvars(ws, "g1", {"g1": {"material_source": "secretsmanager:kms/e2e/no-such"}})
    ws.init()
    failed = ws.tf("plan", "-input=false", check=False)
    assert failed.code == 1
    text = " ".join(failed.stderr.replace("│", " ").split())
    assert text.count("kms-import: error:") == 1, failed.stderr
    assert (
        "kms-import: error: plan-keys: entry 'g1': secret 'kms/e2e/no-such' (or the version "
        "asked for) does not exist" in text
    )
    assert "Traceback" not in failed.stdout + failed.stderr
    assert ws.kms().list_keys()["Keys"] == []  # nothing was created
