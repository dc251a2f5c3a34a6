"""`kms-import tfvars`: surgical edits of generations/active_generation, refusals untouched."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import hcl2
import pytest

from kms_import import tfvars
from kms_import.errors import UsageError
from kms_import.leakscan import spellings
from kms_import.material import secret_fingerprint
from kms_import.tfvars import GenerationError, TfvarsError

KMS_IMPORT = Path(sys.executable).with_name("kms-import")

ROOT = """\
# Team settings
region = "us-east-1"   # where the keys live
alias_name = "alias/MyImportedKey"

active_generation = "g1"

generations = {
  # the first key
  g1 = {
    material_source         = "generate:g1?escrow=file:///secure/escrow"
    valid_to                = "2031-06-17T20:00:00Z"   # optional
    enabled                 = true                     # optional
    deletion_window_in_days = 30                       # optional
    on_demand_rotations     = ["2030-01-01T00:00:00Z"] // kept as is
  },
  "g2" = {
    material_source = "file:///secure/keys/g2.bin" /* block */
  }
}

tags = { team = "crypto" } # after generations
"""


@pytest.fixture
def root(tmp_path: Path) -> Path:
    path = tmp_path / "terraform.tfvars"
    path.write_text(ROOT)
    path.chmod(0o640)
    return path


def changed_lines(before: str, after: str) -> tuple[list[str], list[str]]:
    """Lines only in `before`, lines only in `after` (order kept): everything else is equal."""
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    return [line for line in old if line not in new], [line for line in new if line not in old]


def untouched(path: Path, text: str) -> None:
    assert path.read_text() == text
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary left over


# --- show / next-name -----------------------------------------------------------------------


def test_show_reads_quoted_and_unquoted_keys(root: Path) -> None:
    summary = tfvars.summary(tfvars.load(root))
    assert summary == {
        "active_generation": "g1",
        "generations": {
            "g1": {
                "material_source": "generate:g1?escrow=file:///secure/escrow",
                "valid_to": "2031-06-17T20:00:00Z",
                "enabled": True,
                "deletion_window_in_days": 30,
                "on_demand_rotations": ["2030-01-01T00:00:00Z"],
            },
            "g2": {"material_source": "file:///secure/keys/g2.bin"},
        },
    }


@pytest.mark.parametrize(
    ("names", "expected"),
    [([], "g1"), (["g1"], "g2"), (["g1", "g9", "g10", "prod"], "g11"), (["g01", "blue"], "g1")],
)
def test_next_name_counts_up_from_the_largest(names: list[str], expected: str) -> None:
    assert tfvars.next_name(names) == expected


# --- add-generation -------------------------------------------------------------------------


def test_add_generation_inserts_one_block_and_keeps_everything_else(root: Path) -> None:
    tfvars.add_generation(
        root,
        "g3",
        "generate:g3?escrow=file:///secure/escrow",
        {"valid_to": "2032-01-01T00:00:00Z", "enabled": False, "deletion_window_in_days": 7},
    )
    after = root.read_text()
    assert after == ROOT.replace(
        "  }\n}\n\ntags",
        "  }\n"
        "  g3 = {\n"
        '    material_source         = "generate:g3?escrow=file:///secure/escrow"\n'
        '    valid_to                = "2032-01-01T00:00:00Z"\n'
        "    enabled                 = false\n"
        "    deletion_window_in_days = 7\n"
        "  }\n"
        "}\n\ntags",
    )
    assert stat.S_IMODE(root.stat().st_mode) == 0o640
    assert tfvars.load(root).generations.keys() == {"g1", "g2", "g3"}


def test_add_generation_refuses_a_taken_name_quoted_or_not(root: Path) -> None:
    for name in ("g1", "g2"):
        with pytest.raises(GenerationError, match=f"already has a generation '{name}'"):
            tfvars.add_generation(root, name, "file:///x", {})
    untouched(root, ROOT)


def test_add_generation_with_activate_is_one_edit(root: Path) -> None:
    tfvars.add_generation(root, "g3", "file:///k/g3.bin", {}, activate=True)
    gone, added = changed_lines(ROOT, root.read_text())
    assert gone == ['active_generation = "g1"\n']
    assert added == [
        'active_generation = "g3"\n',
        "  g3 = {\n",
        '    material_source = "file:///k/g3.bin"\n',
    ]


@pytest.mark.parametrize("name", ["G3", "-g3", "g_3", "g" * 32, "", "g3 "])
def test_add_generation_refuses_bad_names(root: Path, name: str) -> None:
    with pytest.raises(UsageError, match="generation name"):
        tfvars.add_generation(root, name, "file:///x", {})
    untouched(root, ROOT)


@pytest.mark.parametrize("source", ["", "/secure/keys/g3.bin", "file:///a b", "0123abcd"])
def test_add_generation_refuses_a_value_that_is_not_a_source_uri(root: Path, source: str) -> None:
    with pytest.raises(UsageError, match="not a source URI"):
        tfvars.add_generation(root, "g3", source, {})
    untouched(root, ROOT)


def test_add_generation_opens_up_an_empty_map_and_appends_a_missing_one(tmp_path: Path) -> None:
    path = tmp_path / "a.tfvars"
    path.write_text('region = "eu-west-1" # mine\ngenerations = {}\n')
    tfvars.add_generation(path, "g1", "file:///k", {})
    assert path.read_text() == (
        'region = "eu-west-1" # mine\ngenerations = {\n  g1 = {\n'
        '    material_source = "file:///k"\n  }\n}\n'
    )
    path.write_text('region = "eu-west-1"')  # no newline at the end, no generations
    tfvars.add_generation(path, "g1", "file:///k", {}, activate=True)
    assert path.read_text() == (
        'region = "eu-west-1"\n\nactive_generation = "g1"\n\ngenerations = {\n  g1 = {\n'
        '    material_source = "file:///k"\n  }\n}\n'
    )


def test_add_generation_keeps_crlf_line_endings(tmp_path: Path) -> None:
    path = tmp_path / "w.tfvars"
    text = 'generations = {\r\n  g1 = {\r\n    material_source = "file:///k"\r\n  }\r\n}\r\n'
    path.write_bytes(text.encode())
    tfvars.add_generation(path, "g2", "file:///l", {})
    data = path.read_bytes()
    assert data.startswith(text[:-3].encode())
    assert data.count(b"\n") == data.count(b"\r\n") == 8


def test_create_makes_a_minimal_file_and_refuses_without_the_flag(tmp_path: Path) -> None:
    path = tmp_path / "terraform.tfvars"
    with pytest.raises(TfvarsError, match=r"does not exist; .*--create"):
        tfvars.add_generation(path, "g1", "file:///k", {})
    assert not path.exists()
    tfvars.add_generation(path, "g1", "file:///k", {"enabled": True}, create=True)
    assert hcl2.loads(path.read_text())["generations"] == {
        "g1": {"material_source": '"file:///k"', "enabled": True}
    }
    assert tfvars.load(path).active == "g1"
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~_umask()


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


# --- set-active -----------------------------------------------------------------------------


def test_set_active_changes_only_the_value(root: Path) -> None:
    tfvars.set_active(root, "g2")
    assert root.read_text() == ROOT.replace('active_generation = "g1"', 'active_generation = "g2"')


def test_set_active_adds_the_setting_above_generations_when_missing(tmp_path: Path) -> None:
    path = tmp_path / "t.tfvars"
    text = ROOT.replace('active_generation = "g1"\n\n', "")
    path.write_text(text)
    tfvars.set_active(path, "g2")
    assert path.read_text() == text.replace(
        "generations = {", 'active_generation = "g2"\n\ngenerations = {'
    )


def test_set_active_refuses_an_unknown_or_disabled_generation(root: Path) -> None:
    with pytest.raises(GenerationError, match=r"no generation 'g7' \(generations: g1, g2\)"):
        tfvars.set_active(root, "g7")
    tfvars.set_field(root, "g2", "enabled", "false")
    before = root.read_text()
    with pytest.raises(GenerationError, match="'g2' is disabled"):
        tfvars.set_active(root, "g2")
    untouched(root, before)
    tfvars.set_active(root, "g2", force=True)
    assert tfvars.load(root).active == "g2"


# --- set ------------------------------------------------------------------------------------


def test_set_replaces_values_and_keeps_inline_comments_in_their_column(root: Path) -> None:
    tfvars.set_field(root, "g1", "enabled", "false", force=True)
    tfvars.set_field(root, "g1", "deletion_window_in_days", "7")
    tfvars.set_field(root, "g1", "valid_to", "2032-02-29T12:00:00+02:00")
    assert changed_lines(ROOT, root.read_text())[1] == [
        '    valid_to                = "2032-02-29T10:00:00Z"   # optional\n',
        "    enabled                 = false                    # optional\n",
        "    deletion_window_in_days = 7                        # optional\n",
    ]
    assert len(root.read_text().splitlines()) == len(ROOT.splitlines())


def test_set_adds_a_missing_field_aligned_with_the_others(root: Path) -> None:
    tfvars.set_field(root, "g2", "valid_to", "2031-01-01T00:00:00Z")
    assert root.read_text() == ROOT.replace(
        "/* block */\n",
        '/* block */\n    valid_to        = "2031-01-01T00:00:00Z"\n',
    )


def test_set_valid_to_null_removes_the_line(root: Path) -> None:
    assert tfvars.set_field(root, "g1", "valid_to", "null")
    assert root.read_text() == ROOT.replace(
        '    valid_to                = "2031-06-17T20:00:00Z"   # optional\n', ""
    )
    assert not tfvars.set_field(root, "g1", "valid_to", "null")  # already absent: no write


def test_set_the_same_value_does_not_write(root: Path) -> None:
    before = root.stat().st_mtime_ns
    os.utime(root, ns=(before - 10**9, before - 10**9))
    assert not tfvars.set_field(root, "g1", "valid_to", "2031-06-17T22:00:00+02:00")
    assert not tfvars.set_field(root, "g1", "enabled", "true")
    assert root.stat().st_mtime_ns == before - 10**9


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("valid_to", "2031-06-17", "not an RFC 3339 timestamp"),
        ("valid_to", "2031-06-17T20:00:00", "not an RFC 3339 timestamp"),
        ("valid_to", "tomorrow", "not an RFC 3339 timestamp"),
        ("deletion_window_in_days", "6", "from 7 to 30"),
        ("deletion_window_in_days", "31", "from 7 to 30"),
        ("deletion_window_in_days", "7.5", "from 7 to 30"),
        ("enabled", "maybe", "not true or false"),
        ("enabled", "True", "not true or false"),
    ],
)
def test_set_refuses_bad_values(root: Path, field: str, value: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        tfvars.set_field(root, "g2", field, value)
    untouched(root, ROOT)


def test_set_refuses_disabling_the_active_generation_without_force(root: Path) -> None:
    with pytest.raises(GenerationError, match="'g1' is the active one"):
        tfvars.set_field(root, "g1", "enabled", "false")
    untouched(root, ROOT)


def test_set_on_one_line_generations_stays_on_one_line(tmp_path: Path) -> None:
    path = tmp_path / "o.tfvars"
    path.write_text('generations = { g1 = { material_source = "a:b", enabled = true, } }\n')
    tfvars.set_field(path, "g1", "deletion_window_in_days", "9")
    tfvars.set_field(path, "g1", "enabled", "false")
    assert path.read_text() == (
        'generations = { g1 = { material_source = "a:b", enabled = false,'
        " deletion_window_in_days = 9 } }\n"
    )


# --- remove-generation ----------------------------------------------------------------------


def test_remove_generation_deletes_its_lines_only(root: Path) -> None:
    tfvars.remove_generation(root, "g2")
    assert root.read_text() == ROOT.replace(
        '  "g2" = {\n    material_source = "file:///secure/keys/g2.bin" /* block */\n  }\n', ""
    )


def test_remove_generation_takes_its_trailing_comma(root: Path) -> None:
    tfvars.set_active(root, "g2")
    tfvars.remove_generation(root, "g1")
    text = root.read_text()
    assert "g1" not in text.replace("# the first key", "")
    assert "  # the first key\n" in text  # comments outside the generation stay
    assert '  "g2" = {' in text and "},\n" not in text


def test_remove_generation_refuses_the_active_one_unless_forced(root: Path) -> None:
    with pytest.raises(GenerationError, match="'g1' is the active one"):
        tfvars.remove_generation(root, "g1")
    untouched(root, ROOT)
    with pytest.raises(GenerationError, match="no generation 'g9'"):
        tfvars.remove_generation(root, "g9")
    tfvars.remove_generation(root, "g1", force=True)
    assert list(tfvars.load(root).generations) == ["g2"]


# --- refusals: constructs that cannot be edited with proof ----------------------------------


@pytest.mark.parametrize(
    ("text", "what"),
    [
        ('generations = merge(local.a, {})\nactive_generation = "g1"\n', "a function call"),
        (
            'generations = { for g in ["g1"] : g => { material_source = "file:///${g}" } }\n',
            "a for expression",
        ),
        ('generations = {\n  g1 = { material_source = "file:///${var.dir}" }\n}\n', "template"),
        (
            "generations = {\n  g1 = {\n    material_source = <<EOT\nfile:///k\nEOT\n  }\n}\n",
            "a heredoc",
        ),
        (
            'generations = {\n  g1 = { material_source = "a:b", enabled = !false }\n}\n',
            "an operator",
        ),
        (
            'generations = {\n  g1 = { material_source = "a:b", enabled = 1 == 1 }\n}\n',
            "an operator",
        ),
        ('generations = {\n  (local.k) = { material_source = "a:b" }\n}\n', "parenthesised"),
        ("generations = {\n  g1 = local.g1\n}\n", "refers to 'local.g1'"),
        ("active_generation = var.g\ngenerations = {}\n", "refers to 'var.g'"),
        ("generations = {}\ngenerations = {}\n", "assigned twice"),
        ('generations = {\n  g1 = { material_source = "a:b" }\n  g1 = {}\n}\n', "single object"),
        ('generations = ["g1"]\n', "not an object literal"),
    ],
)
def test_refuses_constructs_it_cannot_edit_and_leaves_the_file(
    tmp_path: Path, text: str, what: str
) -> None:
    path = tmp_path / "x.tfvars"
    path.write_text(text)
    for action in (
        lambda: tfvars.add_generation(path, "g5", "file:///k", {}),
        lambda: tfvars.set_field(path, "g1", "enabled", "false"),
        lambda: tfvars.load(path),
    ):
        with pytest.raises(TfvarsError, match=f"{what}.*cannot edit safely; the file was left"):
            action()
    untouched(path, text)


def test_refuses_invalid_hcl_json_and_other_auto_loaded_definitions(root: Path) -> None:
    broken = root.with_name("broken.tfvars")
    broken.write_text("generations = {\n  g1 = \n")
    with pytest.raises(TfvarsError, match="not valid HCL"):
        tfvars.load(broken)
    broken.unlink()
    with pytest.raises(TfvarsError, match="JSON tfvars"):
        tfvars.load(root.with_name("terraform.tfvars.json"))
    other = root.with_name("keys.auto.tfvars")
    other.write_text('active_generation = "g2"\n')
    with pytest.raises(TfvarsError, match=r"keys\.auto\.tfvars also sets active_generation"):
        tfvars.set_active(root, "g2")
    assert root.read_text() == ROOT
    # A -var-file overrides the auto-loaded files, so it may repeat them.
    var_file = root.with_name("prod.tfvars")
    var_file.write_text(ROOT)
    tfvars.set_active(var_file, "g2")
    assert tfvars.load(var_file).active == "g2"


def test_an_edit_whose_reparse_differs_is_refused(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Simulate a faulty splice: the text changes more than the intended value.
    real = tfvars._splice
    monkeypatch.setattr(tfvars, "_splice", lambda t, e: real(t, e).replace("30", "31"))
    with pytest.raises(TfvarsError, match="could not be proven to change only what was asked"):
        tfvars.set_field(root, "g2", "enabled", "false")
    untouched(root, ROOT)


def test_a_failed_write_keeps_the_old_file_and_no_temporary(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full_disk(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    with pytest.raises(TfvarsError, match=r"could not be written .*; it is unchanged"):
        tfvars.set_active(root, "g2")
    untouched(root, ROOT)


def test_a_file_changed_by_someone_else_meanwhile_is_not_overwritten(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = tfvars._splice

    def racing(text: str, edits: list[tfvars.Edit]) -> str:
        root.write_text(ROOT + "# someone else\n")
        return real(text, edits)

    monkeypatch.setattr(tfvars, "_splice", racing)
    with pytest.raises(TfvarsError, match="changed while it was being edited"):
        tfvars.set_active(root, "g2")
    untouched(root, ROOT + "# someone else\n")


def test_a_symlinked_tfvars_stays_a_symlink(root: Path) -> None:
    link = root.with_name("link.tfvars")
    link.symlink_to(root.name)
    tfvars.set_active(link, "g2")
    assert link.is_symlink()
    assert tfvars.load(root).active == "g2"


# --- the command line -----------------------------------------------------------------------


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(KMS_IMPORT), "tfvars", *args], capture_output=True, text=True, check=False
    )


def test_cli_round_trip(root: Path, tmp_path: Path) -> None:
    f = ["--file", str(root)]
    name = run(*f, "next-name")
    assert (name.returncode, name.stdout) == (0, "g3\n")
    escrow = tmp_path / "escrow"
    added = run(
        *f,
        "add-generation",
        "g3",
        "--material-source",
        f"generate:g3?escrow=file://{escrow}",
        "--valid-to",
        "2031-12-31T23:00:00Z",
        "--deletion-window-in-days",
        "14",
        "--activate",
    )
    assert added.returncode == 0, added.stderr
    assert added.stdout == f"{root}: added generation g3 and made it active\n"
    g3 = tfvars.summary(tfvars.load(root))["generations"]["g3"]
    assert list(g3)[:2] == ["material_source", "material_fingerprint"]
    assert g3["material_fingerprint"] == secret_fingerprint((escrow / "g3.key").read_bytes())
    assert run(*f, "set", "g3", "enabled", "false", "--force").returncode == 0
    assert run(*f, "set-active", "g1").returncode == 0
    assert run(*f, "remove-generation", "g3").returncode == 0
    removed = run(*f, "set", "g1", "valid_to", "null")
    assert removed.stdout == f"{root}: g1.valid_to removed\n"
    shown = run(*f, "show", "--json")
    assert shown.returncode == 0
    assert json.loads(shown.stdout)["active_generation"] == "g1"
    assert set(json.loads(shown.stdout)["generations"]) == {"g1", "g2"}
    assert root.read_text() == ROOT.replace(
        '    valid_to                = "2031-06-17T20:00:00Z"   # optional\n', ""
    )
    text = run(*f, "show")
    assert text.stdout.splitlines()[:2] == [
        "active_generation: g1",
        '* g1 material_source="generate:g1?escrow=file:///secure/escrow" enabled=true '
        'deletion_window_in_days=30 on_demand_rotations=["2030-01-01T00:00:00Z"]',
    ]


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["set", "g1", "deletion_window_in_days", "31"], 2, "deletion_window_in_days '31'"),
        (["set", "g1", "enabled", "maybe"], 2, "enabled 'maybe' is not true or false"),
        (["set", "g1", "valid_to", "2031-06-17"], 2, "not an RFC 3339 timestamp"),
        (["set", "g1", "material_source", "x:y"], 2, "invalid choice"),
        (["remove-generation", "g1"], 1, "'g1' is the active one"),
        (["add-generation", "Bad", "--material-source", "a:b"], 2, "generation name 'Bad'"),
        (["set-active", "g9"], 1, "no generation 'g9'"),
        (["add-generation", "g3", "--material-source", "a:b", "--enabled", "maybe"], 2, "maybe"),
        (
            ["add-generation", "g3", "--material-source", "a:b", "--deletion-window-in-days", "6"],
            2,
            "deletion_window_in_days '6' is not a whole number of days from 7 to 30",
        ),
        (["add-generation", "g3", "--material-source", "a:b", "--valid-to", "x"], 2, "RFC 3339"),
        (
            ["add-generation", "g3", "--material-source", "a:b", "--key-spec", "RSA_2048"],
            2,
            "a RSA_2048 key needs --key-usage; use ENCRYPT_DECRYPT or SIGN_VERIFY",
        ),
        (
            [
                *("add-generation", "g3", "--material-source", "a:b"),
                *("--key-spec", "HMAC_256", "--key-usage", "SIGN_VERIFY"),
            ],
            2,
            "key usage 'SIGN_VERIFY' does not fit key spec HMAC_256",
        ),
        (
            ["add-generation", "g3", "--material-source", "a:b", "--key-spec", "AES_256"],
            2,
            "unknown key spec 'AES_256'",
        ),
    ],
)
def test_cli_errors_are_one_line_with_exit_codes(
    root: Path, args: list[str], code: int, message: str
) -> None:
    result = run("--file", str(root), *args)
    assert result.returncode == code
    assert message in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert result.stdout == ""
    untouched(root, ROOT)


def test_cli_refuses_an_expression_file_and_a_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "e.tfvars"
    text = 'generations = { for g in ["g1"] : g => { material_source = "a:b" } }\n'
    path.write_text(text)
    result = run("--file", str(path), "set-active", "g1")
    assert result.returncode == 1
    assert result.stderr.startswith(f"kms-import: error: {path}: generations uses a for expression")
    assert result.stderr.count("\n") == 1
    untouched(path, text)
    missing = run("--file", str(tmp_path / "none.tfvars"), "show")
    assert (missing.returncode, missing.stderr.count("\n")) == (1, 1)
    assert "does not exist; check --file" in missing.stderr


# --- add-rotation -----------------------------------------------------------------------------


def test_add_rotation_appends_entries_and_keeps_everything_else(root: Path) -> None:
    tfvars.add_rotation(root, "g1", "generate:g1-r1?escrow=file:///secure/escrow")
    tfvars.add_rotation(root, "g1", "generate:g1-r2?escrow=file:///secure/escrow")
    removed, added = changed_lines(ROOT, root.read_text())
    assert removed == []
    assert added == [
        "    material_rotations      = [\n",
        '      { material_source = "generate:g1-r1?escrow=file:///secure/escrow" },\n',
        '      { material_source = "generate:g1-r2?escrow=file:///secure/escrow" },\n',
        "    ]\n",
    ]
    tfvars.add_rotation(root, "g2", "file:///secure/keys/g2-r1.bin")
    rotations = {
        name: [e["material_source"] for e in fields["material_rotations"]]
        for name, fields in tfvars.summary(tfvars.load(root))["generations"].items()
    }
    assert rotations["g2"] == ["file:///secure/keys/g2-r1.bin"]
    assert len(rotations["g1"]) == 2


def test_add_rotation_refuses_material_the_generation_already_uses(root: Path) -> None:
    tfvars.add_rotation(root, "g2", "file:///secure/keys/g2-r1.bin")
    text = root.read_text()
    for source in ("file:///secure/keys/g2.bin", "file:///secure/keys/g2-r1.bin"):
        with pytest.raises(GenerationError, match="already uses"):
            tfvars.add_rotation(root, "g2", source)
    with pytest.raises(GenerationError, match="no generation 'g9'"):
        tfvars.add_rotation(root, "g9", "file:///new.bin")
    untouched(root, text)


def test_cli_add_generation_key_spec_and_like_active(root: Path) -> None:
    """make rotate adds with --like-active: a rotated HMAC or RSA key keeps its kind."""
    f = ["--file", str(root)]
    nofp = ["--no-fingerprint"]  # references only: nothing to read
    hmac_args = ["--key-spec", "HMAC_256", "--activate", *nofp]
    added = run(*f, "add-generation", "g3", "--material-source", "a:b", *hmac_args)
    assert added.returncode == 0, added.stderr
    assert (
        run(
            *f, "add-generation", "g4", "--material-source", "c:d", "--like-active", *nofp
        ).returncode
        == 0
    )
    rsa = ["--key-spec", "RSA_2048", "--key-usage", "SIGN_VERIFY", "--activate", *nofp]
    assert run(*f, "add-generation", "g5", "--material-source", "e:f", *rsa).returncode == 0
    assert (
        run(
            *f, "add-generation", "g6", "--material-source", "g:h", "--like-active", *nofp
        ).returncode
        == 0
    )
    # An explicit key spec starts from its own usage, not the active generation's.
    explicit = ["--like-active", "--key-spec", "ECC_NIST_P256", *nofp]
    assert run(*f, "add-generation", "g7", "--material-source", "i:j", *explicit).returncode == 0
    gens = json.loads(run(*f, "show", "--json").stdout)["generations"]
    kinds = {n: (g.get("key_spec"), g.get("key_usage")) for n, g in gens.items()}
    assert kinds == {
        "g1": (None, None),
        "g2": (None, None),
        "g3": ("HMAC_256", None),
        "g4": ("HMAC_256", None),
        "g5": ("RSA_2048", "SIGN_VERIFY"),
        "g6": ("RSA_2048", "SIGN_VERIFY"),
        "g7": ("ECC_NIST_P256", None),
    }
    assert '    key_spec        = "HMAC_256"\n' in root.read_text()


# --- material_fingerprint: computed once, when the material is added ------------------------


def _material_file(tmp_path: Path, name: str) -> tuple[str, bytes]:
    material = os.urandom(32)
    path = tmp_path / "keys" / name
    path.parent.mkdir(mode=0o700, exist_ok=True)
    path.write_bytes(material)
    path.chmod(0o600)
    return f"file://{path}", material


def test_cli_writes_each_materials_fingerprint_next_to_its_source(
    root: Path, tmp_path: Path
) -> None:
    """What make rotate and make rotate-material run: plan then reads no material."""
    f = ["--file", str(root)]
    source, material = _material_file(tmp_path, "g3.bin")
    assert run(*f, "add-generation", "g3", "--material-source", source).returncode == 0
    escrow = tmp_path / "escrow"
    rotated = f"generate:g3-m1?escrow=file://{escrow}"
    result = run(*f, "add-rotation", "g3", "--material-source", rotated)
    assert result.returncode == 0, result.stderr
    assert changed_lines(ROOT, root.read_text())[0] == []  # only lines added
    g3 = tfvars.summary(tfvars.load(root))["generations"]["g3"]
    assert g3 == {
        "material_source": source,
        "material_fingerprint": secret_fingerprint(material),
        "material_rotations": [
            {
                "material_source": rotated,
                "material_fingerprint": secret_fingerprint((escrow / "g3-m1.key").read_bytes()),
            }
        ],
    }
    text = root.read_text().encode()
    for needle in spellings(material).values():  # fingerprints only, never the material
        assert needle not in text


def test_cli_refuses_a_rotation_to_material_the_generation_holds(
    root: Path, tmp_path: Path
) -> None:
    f = ["--file", str(root)]
    source, _ = _material_file(tmp_path, "g3.bin")
    assert run(*f, "add-generation", "g3", "--material-source", source).returncode == 0
    text = root.read_text()
    same = f"{source}?format=raw"  # another reference to the same material
    result = run(*f, "add-rotation", "g3", "--material-source", same)
    assert result.returncode == 1 and result.stderr.count("\n") == 1
    assert "already holds material hmac-sha256:" in result.stderr
    assert root.read_text() == text


def test_cli_reads_no_material_for_a_refused_edit(root: Path, tmp_path: Path) -> None:
    escrow = tmp_path / "escrow"
    source = f"generate:g1?escrow=file://{escrow}"
    result = run("--file", str(root), "add-generation", "g1", "--material-source", source)
    assert result.returncode == 1 and "already has a generation 'g1'" in result.stderr
    assert not escrow.exists()  # no material drawn for an edit that was refused
    untouched(root, ROOT)


def test_cli_unreadable_source_is_one_line_and_nothing_changes(root: Path, tmp_path: Path) -> None:
    source, _ = _material_file(tmp_path, "open.bin")
    (tmp_path / "keys" / "open.bin").chmod(0o644)
    result = run("--file", str(root), "add-generation", "g3", "--material-source", source)
    assert result.returncode == 1 and result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr
    assert root.read_text() == ROOT
