"""Bad input, refused clearly and harmlessly: module variables, kms-import flags, make variables.

Each case asserts: non-zero exit, one line saying what is wrong and what to do (for a
Terraform validation block, its error_message), no traceback, and the keys and the
Terraform state exactly as they were.

Terraform cases share one applied workspace (a real key in state) on a local AWS of their
own, so no other test's reset or fault reaches it (pytest 9.2 ignores xdist_group, so
tests cannot be pinned to one worker: each worker that runs a case builds the world once).
Terraform reports every failing validation of a plan, so the cases run in a few "waves":
one plan per wave with at most one bad value per variable, each error attributed to its
variable by Terraform's `var.NAME is ...` line, and the wave must hold exactly as many
errors as bad values.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import hcl2
import pytest
from e2e.workspace import Workspace, material_file

from kms_import.material import secret_fingerprint
from offline.stack import OfflineStack

from .support import (
    ROOT,
    assert_not_in,
    assert_one_clear_error,
    helper_env,
    key_snapshot,
    kms_client,
    run_helper,
)

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.e2e


# modules/external-key is the one-key case of modules/external-keys, which validates: the
# per-key inputs in its `keys` variable (each message names the failing key, "this" here),
# the shared ones in variables of the same name.
PER_KEY = {
    "material_source", "material_fingerprint", "key_spec", "key_usage", "alias_name",
    "description", "wrapping_algorithm", "wrapping_key_spec", "valid_to", "enabled",
    "deletion_window_in_days", "multi_region", "replica_regions", "material_rotations",
}  # fmt: skip
# "keys ${join(...)}: RULE" is written "keys this: RULE" for the one key of external-key.
KEY_NAMES = re.compile(r"^keys \$\{.*?\]\)\}: ")


def _literal_parts(template: str) -> list[str]:
    """The literal text of an HCL string template, split at its ${...} interpolations (the
    values computed from the key-spec table or the keys), escapes decoded."""
    parts, current, depth, i = [], "", 0, 0
    while i < len(template):
        if template.startswith("${", i):
            if depth == 0:
                parts.append(current)
                current = ""
            depth, i = depth + 1, i + 2
            continue
        if depth:
            depth += {"{": 1, "}": -1}.get(template[i], 0)
        else:
            current += template[i]
        i += 1
    return [json.loads(f'"{part}"') for part in [*parts, current]]


def _unquoted(text: str) -> str:
    """python-hcl2 keeps a template's quotes, except around a template that is one ${...}."""
    return text[1:-1] if text.startswith('"') and text.endswith('"') else text


def _error_messages() -> dict[str, list[list[str]]]:
    """external-keys' variable -> its validation blocks' error_message texts, in file order,
    each as its literal parts (what Terraform computes into it falls between them)."""
    with (REPO / "modules" / "external-keys" / "variables.tf").open() as handle:
        parsed = hcl2.load(handle)
    found: dict[str, list[list[str]]] = {}
    for block in parsed["variable"]:
        for name, body in block.items():
            found[name.strip('"')] = [
                _literal_parts(KEY_NAMES.sub("keys this: ", _unquoted(v["error_message"])))
                for v in body.get("validation", [])
            ]
    return found


MESSAGES = _error_messages()


def _flat(text: str) -> str:
    return " ".join(text.replace("│", " ").split())


def _rfc3339(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


NOW = datetime.now(UTC)


@dataclass(frozen=True)
class TfCase:
    id: str
    variable: str
    value: str  # as written after -var=NAME=
    rule: str  # words of the one validation message that must be reported
    marks: tuple[Any, ...] = ()
    # Other variables' validations read this one (key_spec): Terraform skips those while it
    # is invalid, which would hide their errors in a shared wave.
    alone: bool = False


EXACT = "this: material_source must name its secret or parameter exactly"
MAKE_TRAILER = re.compile(r"make(\[\d+\])?: \*\*\* ")

TF_CASES = [
    TfCase("expiry-warning-days-negative", "expiry_warning_days", "-1", "from 0 to 365"),
    TfCase("expiry-alarm-days-zero", "expiry_alarm", "{days_before=0}", "days_before must be"),
    TfCase("alias-reserved-aws-prefix", "alias_name", "alias/aws/payments", "reserved for AWS"),
    TfCase("alias-without-prefix", "alias_name", "MyImportedKey", "must look like alias/NAME"),
    TfCase("alias-bad-characters", "alias_name", "alias/my key!", "must look like alias/NAME"),
    TfCase("alias-too-long", "alias_name", "alias/" + "k" * 251, "must look like alias/NAME"),
    TfCase("wrapping-algorithm-unknown", "wrapping_algorithm", "RSA_OAEP", "must be null or one"),
    TfCase("wrapping-key-spec-too-small", "wrapping_key_spec", "RSA_1024", "wrapping_key_spec"),
    TfCase("key-spec-unknown", "key_spec", "AES_256", "importable key specs", alone=True),
    TfCase("key-usage-key-agreement", "key_usage", "KEY_AGREEMENT", "KEY_AGREEMENT is not"),
    TfCase(
        "key-usage-does-not-fit-the-spec", "key_usage", "GENERATE_VERIFY_MAC", "usage does not fit"
    ),
    TfCase("valid-to-in-the-past", "valid_to", "2020-01-01T00:00:00Z", "has passed"),
    TfCase("valid-to-date-only", "valid_to", "2031-06-17", "RFC 3339 timestamp"),
    TfCase("valid-to-without-zone", "valid_to", "2031-06-17T20:00:00", "RFC 3339 timestamp"),
    TfCase("valid-to-over-365-days", "valid_to", _rfc3339(NOW + timedelta(days=400)), "365 days"),
    TfCase("deletion-window-6", "deletion_window_in_days", "6", "from 7 to 30"),
    TfCase("deletion-window-31", "deletion_window_in_days", "31", "from 7 to 30"),
    TfCase("deletion-window-fraction", "deletion_window_in_days", "7.5", "from 7 to 30"),
    TfCase(
        "material-source-is-material",
        "material_source",
        "c2VjcmV0IGtleSBtYXRlcmlhbA==",
        "this: material_source must be a URI",
    ),
    TfCase("fingerprint-malformed", "material_fingerprint", "sha256:abc", "exact output"),
    TfCase("tags-set-fingerprint-tag", "tags", '{"kms-import:fingerprint"="x"}', "set by"),
    TfCase("policy-not-json", "policy", "allow everything", "JSON document"),
    TfCase("helper-command-blank", "helper_command", "   ", "must name the kms-import"),
    TfCase("description-too-long", "description", "d" * 8193, "8192 characters"),
    TfCase("key-owner-not-an-arn", "key_owners", '["KeyOwner"]', "IAM principal ARNs"),
    TfCase("key-user-not-an-arn", "key_users", '["arn:aws:s3:::bucket"]', "IAM principal ARNs"),
    TfCase("key-statement-neither-actions", "key_statements", '[{sid="X"}]', "exactly one of"),
    TfCase(
        "key-statement-built-in-sid",
        "key_statements",
        '[{sid="KeyOwner",actions=["kms:*"]}]',
        "must not reuse a built-in sid",
    ),
    TfCase(
        "key-statement-effect",
        "key_statements",
        '[{effect="allow",actions=["kms:*"]}]',
        "Allow or Deny",
    ),
    TfCase(
        "grant-unknown-operation",
        "grants",
        '{app={grantee_principal="arn:aws:iam::123456789012:role/App",operations=["Frob"]}}',
        "KMS grant operations",
    ),
    TfCase(
        "grant-grantee-not-a-principal",
        "grants",
        '{app={grantee_principal="App",operations=["Decrypt"]}}',
        "at least one operation",
    ),
    # Matches the RFC 3339 pattern but is no date: refused by the validation itself.
    TfCase("valid-to-impossible-date", "valid_to", "2031-02-30T00:00:00Z", "RFC 3339 timestamp"),
    TfCase(
        "rotation-source-is-material",
        "material_rotations",
        '[{material_source="c2VjcmV0IGtleSBtYXRlcmlhbA=="}]',
        "material_rotations material_source must be a URI",
    ),
    # Wildcards (also %-encoded) in a name would widen the importer policy to every match.
    TfCase("secret-name-wildcard", "material_source", "secretsmanager:app/*", EXACT),
    TfCase("parameter-name-encoded-wildcard", "material_source", "ssm:/app/key%2A", EXACT),
    TfCase("parameter-name-encoded-question", "material_source", "ssm:/app/key%3f", EXACT),
    TfCase(
        "escrow-prefix-wildcard",
        "material_source",
        "generate:g1?escrow=secretsmanager:team%252A",
        EXACT,
    ),
    TfCase(
        "rotation-secret-name-wildcard",
        "material_rotations",
        '[{material_source="secretsmanager:app/key-%3F"}]',
        "material_rotations material_source must name its secret",
    ),
]


def _waves(cases: list[TfCase]) -> list[list[TfCase]]:
    """Wave k holds the k-th case of every variable: one bad value per variable per plan.
    An expected failure gets a plan of its own, so it cannot mask the others; so does a
    case other variables' validations depend on."""
    waves: list[list[TfCase]] = []
    seen: dict[str, int] = {}
    for case in (c for c in cases if not (c.marks or c.alone)):
        k = seen[case.variable] = seen.get(case.variable, -1) + 1
        if k == len(waves):
            waves.append([])
        waves[k].append(case)
    return waves + [[c] for c in cases if c.marks or c.alone]


WAVES = _waves(TF_CASES)


@dataclass
class TfWorld:
    ws: Workspace
    material: bytes
    key_id: str
    base_args: list[str]
    before: dict[str, Any]
    results: dict[int, tuple[subprocess.CompletedProcess[str] | Any, dict[str, Any]]] = field(
        default_factory=dict
    )

    def snapshot(self) -> dict[str, Any]:
        return {
            "state": self.ws.runner.show_json(),
            "tfstate": (self.ws.dir / "terraform.tfstate").read_bytes(),
            "key": key_snapshot(self.ws.kms(), self.key_id),
        }

    def wave(self, index: int) -> tuple[Any, dict[str, Any]]:
        if index not in self.results:
            bad = [f"-var={c.variable}={c.value}" for c in WAVES[index]]
            result = self.ws.tf(
                "plan", "-input=false", "-refresh=false", *self.base_args, *bad, check=False
            )
            self.results[index] = (result, self.snapshot())
        return self.results[index]


@pytest.fixture(scope="module")
def tf_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TfWorld]:
    tmp = tmp_path_factory.mktemp("bad-input-tf")
    with OfflineStack(tmp / "stack").serving() as stack:
        yield _apply_world(tmp, stack)


def _apply_world(tmp: Path, stack: OfflineStack) -> TfWorld:
    ws = Workspace.create(tmp, stack, root=ROOT)
    path, material = material_file(tmp / "keys")
    ws.write_vars(material_source=f"file://{path}", alias_name="alias/bad-input")
    ws.apply()
    key_id = ws.outputs()["key_id"]
    # The fingerprint passed in, so no plan reads the material just to be refused.
    base = [f"-var=material_fingerprint={secret_fingerprint(material)}"]
    world = TfWorld(ws, material, key_id, base, {})
    world.before = world.snapshot()
    return world


def _tf_params() -> list[Any]:
    params = []
    for index, wave in enumerate(WAVES):
        for case in wave:
            params.append(pytest.param(index, case, id=f"tf-{case.id}", marks=case.marks))
    return params


def _expected(case: TfCase) -> re.Pattern[str]:
    """The one error_message (flattened) of the validation the case must fail: its literal
    parts in order, anything between them."""
    if case.rule == "has passed":  # one computed line per key, naming make renew
        return re.compile(
            re.escape(
                f"this: valid_to {case.value} has passed (KMS refuses an expiry in the past): "
            )
        )
    variable = "keys" if case.variable in PER_KEY else case.variable
    (parts,) = [m for m in MESSAGES[variable] if case.rule in "".join(m)]
    return re.compile(".+?".join(re.escape(_flat(part)) for part in parts if part.strip()))


@pytest.mark.parametrize(("wave", "case"), _tf_params())
def test_module_variable_is_refused_by_its_validation(
    tf_world: TfWorld, wave: int, case: TfCase
) -> None:
    result, after = tf_world.wave(wave)
    assert result.code != 0
    output = result.stdout + result.stderr
    assert "Traceback" not in output
    blocks = ["Error: " + b for b in result.stderr.split("Error: ")[1:]]
    # Every error of the plan is one of the wave's bad values: nothing else went wrong.
    assert len(blocks) == len(WAVES[wave]), result.stderr
    expected = _expected(case)
    mine = [b for b in blocks if expected.search(_flat(b))]
    assert len(mine) == 1, result.stderr
    assert after == tf_world.before  # state, state file and key untouched
    tf_world.ws.assert_no_leak(tf_world.material)


# ---- kms-import flags ---------------------------------------------------------------------


@dataclass
class HelperWorld:
    stack: OfflineStack
    dir: Path
    material: bytes
    ids: dict[str, str]  # name -> key id
    uris: dict[str, str]  # placeholder -> value for the argv templates

    def snapshot(self) -> dict[str, Any]:
        kms = kms_client(self.stack)
        return {name: key_snapshot(kms, key_id) for name, key_id in self.ids.items()}


@pytest.fixture
def helper_world(clean_stack: OfflineStack, tmp_path: Path) -> HelperWorld:
    """Fresh keys per case on the emptied local AWS (cheap; nothing shared between cases)."""
    tmp = tmp_path
    kms = kms_client(clean_stack)

    def create(**kwargs: Any) -> str:
        return str(kms.create_key(**kwargs)["KeyMetadata"]["KeyId"])

    ids = {
        "key": create(Origin="EXTERNAL"),  # PendingImport: a slip would import into it
        "rsa": create(Origin="EXTERNAL", KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY"),
        "p521": create(Origin="EXTERNAL", KeySpec="ECC_NIST_P521", KeyUsage="SIGN_VERIFY"),
        "hmac": create(Origin="EXTERNAL", KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC"),
        "aws": create(),  # Origin AWS_KMS
    }
    arn = kms.describe_key(KeyId=ids["key"])["KeyMetadata"]["Arn"]
    keys = tmp / "keys"
    good, material = material_file(keys, "good.bin")
    short, _ = material_file(keys, "short.bin", size=16)
    long_, _ = material_file(keys, "long.bin", size=33)
    world_readable, _ = material_file(keys, "world.bin")
    world_readable.chmod(0o644)
    group_readable, _ = material_file(keys, "group.bin")
    group_readable.chmod(0o640)
    unreadable, _ = material_file(keys, "unreadable.bin")
    unreadable.chmod(0o000)  # root reads it anyway: that case runs without CAP_DAC_*
    uris = {
        "key": ids["key"],
        "arn": arn,
        "rsa": ids["rsa"],
        "p521": ids["p521"],
        "hmac": ids["hmac"],
        "aws": ids["aws"],
        "good": f"file://{good}",
        "short": f"file://{short}",
        "long": f"file://{long_}",
        "world": f"file://{world_readable}",
        "group": f"file://{group_readable}",
        "unreadable": f"file://{unreadable}",
        "missing": f"file://{keys / 'no-such.bin'}",
        "dir": f"file://{keys}",
        "fp": secret_fingerprint(material),
        "home": str(tmp),
    }
    return HelperWorld(clean_stack, tmp, material, ids, uris)


# As root, mode 000 stops nothing; without these capabilities it does, as for anyone else.
WITHOUT_FILE_OVERRIDE = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search"]


@dataclass(frozen=True)
class HelperCase:
    id: str
    argv: tuple[str, ...]
    fragments: tuple[str, ...]
    env: str = "stack"  # "stack" | "no-credentials" | "no-credentials-imds"
    without_root_override: bool = False
    exit_code: int | None = None  # None: any non-zero


def _case(
    id: str, argv: str, *fragments: str, exit_code: int | None = None, **kw: Any
) -> HelperCase:
    return HelperCase(id, tuple(argv.split()), fragments, exit_code=exit_code, **kw)


IMPORT = "import --key-id {key} --source"
HELPER_CASES = [
    # Material files
    _case("material-missing", f"{IMPORT} {{missing}}", "does not exist", "check the path"),
    _case("material-world-readable", f"{IMPORT} {{world}}", "group or others", "chmod 600"),
    _case("material-group-readable", f"{IMPORT} {{group}}", "group or others", "chmod 600"),
    _case(
        "material-unreadable",
        f"{IMPORT} {{unreadable}}",
        "cannot be read by this user",
        without_root_override=os.geteuid() == 0,
    ),
    _case("material-is-a-folder", f"{IMPORT} {{dir}}", "not a regular file"),
    _case("material-16-bytes", f"{IMPORT} {{short}}", "16 bytes", "exactly 32"),
    _case("material-33-bytes", f"{IMPORT} {{long}}", "33 bytes", "exactly 32"),
    _case(
        "hmac-material-too-short",
        "import --key-id {hmac} --source {short}",
        "16 bytes",
        "HMAC_256",
    ),
    # Source references
    _case("source-unknown-scheme", f"{IMPORT} ftp://host/material.bin", "unknown", "'ftp'"),
    _case("source-without-scheme", f"{IMPORT} c2VjcmV0", "has no scheme", "kms-import sources"),
    _case("source-relative-path", f"{IMPORT} file://keys/m.bin", "absolute path"),
    _case("source-unknown-format", f"{IMPORT} {{good}}?format=pkcs12", "unknown format"),
    _case("source-unknown-parameter", f"{IMPORT} {{good}}?mode=raw", "unknown parameter 'mode'"),
    _case("generate-without-escrow", f"{IMPORT} generate:k1", "has no escrow"),
    # Wrapping combinations
    _case(
        "wrapping-algorithm-unknown",
        f"{IMPORT} {{good}} --wrapping-algorithm RSA_OAEP",
        "invalid choice: 'RSA_OAEP'",
        exit_code=2,
    ),
    _case(
        "wrapping-key-spec-unknown",
        f"{IMPORT} {{good}} --wrapping-key-spec RSA_1024",
        "invalid choice: 'RSA_1024'",
        exit_code=2,
    ),
    _case(
        "oaep-for-rsa-private-key",
        "import --key-id {rsa} --source {good} --wrapping-algorithm RSAES_OAEP_SHA_256",
        "cannot wrap a RSA_2048 private key",
        "RSA_AES_KEY_WRAP_SHA_256",
    ),
    _case(
        "oaep-2048-too-small-for-p521",
        "import --key-id {p521} --source {good} --wrapping-algorithm RSAES_OAEP_SHA_256 "
        "--wrapping-key-spec RSA_2048",
        "carries at most 190 bytes",
        "larger wrapping key spec",
    ),
    # valid_to
    _case(
        "valid-to-past", f"{IMPORT} {{good}} --valid-to 2020-01-01T00:00:00Z", "not in the future"
    ),
    _case("valid-to-date-only", f"{IMPORT} {{good}} --valid-to 2031-06-17", "not an RFC 3339"),
    _case("valid-to-no-zone", f"{IMPORT} {{good}} --valid-to 2031-06-17T20:00:00", "with a zone"),
    _case(
        "valid-to-impossible-date",
        f"{IMPORT} {{good}} --valid-to 2031-02-30T00:00:00Z",
        "not an RFC 3339",
    ),
    _case(
        "valid-to-over-365-days",
        f"{IMPORT} {{good}} --valid-to {_rfc3339(NOW + timedelta(days=400))}",
        "more than 365 days",
    ),
    # Key ids
    _case("key-id-malformed", "import --key-id not-a-key --source {good}", "is not a key id"),
    _case(
        "key-id-unknown",
        "import --key-id 11111111-2222-3333-4444-555555555555 --source {good}",
        "NotFoundException",
        "check the key id and the Region",
    ),
    _case("alias-unknown", "import --key-id alias/NoSuchKey --source {good}", "NotFoundException"),
    _case("alias-bad-characters", "status --key-id alias/bad.name", "KMS does not allow"),
    _case("key-origin-not-external", "import --key-id {aws} --source {good}", "not EXTERNAL"),
    _case(
        "fingerprint-not-the-planned-one",
        f"{IMPORT} {{good}} --expect-fingerprint hmac-sha256:{'0' * 32}",
        "Terraform planned with",
        "run terraform plan",
    ),
    _case("key-id-flag-missing", "import --source {good}", "--key-id", exit_code=2),
    _case("command-unknown", "imprt --key-id {key}", "invalid choice: 'imprt'", exit_code=2),
    _case(
        "cancel-deletion-source-missing", "cancel-deletion --key-id {key}", "--source", exit_code=2
    ),
    _case(
        "cancel-deletion-generation-name",
        "cancel-deletion --key-id {key} --source {good} --generation G1 --root {home}",
        "generation name 'G1'",
        "lowercase letters",
        exit_code=2,
    ),
    # Regions and credentials
    _case(
        "region-other-than-the-keys",
        f"{IMPORT} {{good}} --region eu-west-1",
        "NotFoundException",
        "eu-west-1",
    ),
    _case(
        "region-contradicts-arn",
        "import --key-id {arn} --source {good} --region eu-west-1",
        "contradicts the Region us-east-1",
        "drop --region",
    ),
    _case("region-not-a-region", f"{IMPORT} {{good}} --region mars-1", "not an AWS Region name"),
    _case(
        "credentials-missing",
        "import --key-id {arn} --source {good}",
        "no AWS credentials found",
        env="no-credentials",
    ),
    _case(
        "credentials-missing-imds-reachable",
        "status --key-id {arn}",
        "no AWS credentials found",
        env="no-credentials-imds",
    ),
]


def _env_for(case: HelperCase, world: HelperWorld) -> dict[str, str]:
    if case.env == "stack":
        return helper_env(world.stack, HOME=world.uris["home"])
    # No credentials anywhere and no endpoint: a real-AWS configuration without a login.
    env = helper_env(
        None,
        HOME=world.uris["home"],
        AWS_CONFIG_FILE=str(world.dir / "no-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(world.dir / "no-credentials"),
        AWS_REGION="us-east-1",
    )
    if case.env == "no-credentials":
        env["AWS_EC2_METADATA_DISABLED"] = "true"
    return env


@pytest.mark.parametrize("case", HELPER_CASES, ids=lambda c: f"helper-{c.id}")
def test_helper_flag_is_refused_clearly(helper_world: HelperWorld, case: HelperCase) -> None:
    before = helper_world.snapshot()
    argv = [arg.format(**helper_world.uris) for arg in case.argv]
    prefix = WITHOUT_FILE_OVERRIDE if case.without_root_override else []
    started = time.monotonic()
    result = run_helper(*argv, env=_env_for(case, helper_world), prefix=prefix)
    elapsed = time.monotonic() - started
    if case.exit_code is None:
        assert result.returncode != 0, result.stderr
    else:
        assert result.returncode == case.exit_code, result.stderr
    assert result.stdout == ""
    assert_one_clear_error(result.stderr, *case.fragments)
    assert elapsed < 20, f"took {elapsed:.1f} s: bad input must fail fast, not hang"
    assert helper_world.snapshot() == before
    assert_not_in(helper_world.material, result.stdout, result.stderr)


# ---- Makefile variables -----------------------------------------------------------------
# The lifecycle verbs check their variables before Terraform runs; `-o init` keeps make from
# running `terraform init` on the repo root first (that is not what these cases are about).

MAKE_CASES = [
    ("disable-without-GEN", ["disable"], "set GEN="),
    ("renew-without-VALID_TO", ["renew", "GEN=g1"], "set VALID_TO="),
    ("delete-material-without-GEN", ["delete-material", "YES=1"], "set GEN="),
    ("schedule-deletion-without-GEN", ["schedule-deletion", "DAYS=7"], "set GEN="),
    ("schedule-deletion-DAYS-6", ["schedule-deletion", "GEN=g1", "DAYS=6"], "DAYS must be 7 to 30"),
    ("schedule-deletion-DAYS-31", ["schedule-deletion", "GEN=g1", "DAYS=31"], "got '31'"),
    ("schedule-deletion-DAYS-word", ["schedule-deletion", "GEN=g1", "DAYS=week"], "got 'week'"),
    ("cancel-deletion-without-SOURCE", ["cancel-deletion", "KEY=1234"], "SOURCE="),
]


@pytest.mark.parametrize(
    ("verb", "fragment"), [c[1:] for c in MAKE_CASES], ids=[c[0] for c in MAKE_CASES]
)
def test_make_variable_is_refused_clearly(
    helper_world: HelperWorld, tmp_path: Path, verb: list[str], fragment: str
) -> None:
    before = helper_world.snapshot()
    offline_dir = tmp_path / "offline"
    offline_dir.mkdir()
    env = helper_env(helper_world.stack, KMS_IMPORT_OFFLINE_DIR=str(offline_dir))
    result = subprocess.run(
        ["make", "-s", "-o", "init", "-o", str(REPO / ".venv" / ".installed"), *verb],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    # make's own "*** [...] Error 2" trailer ("make[1]: ***" when run under `make test`).
    lines = [x for x in result.stderr.splitlines() if x.strip() and not MAKE_TRAILER.match(x)]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"{verb[0]}: ") and fragment in lines[0], lines[0]
    assert helper_world.snapshot() == before
    assert list(offline_dir.iterdir()) == []  # no tfvars written, no state touched
