"""data "aws_iam_policy_document" (internal/service/iam/policy_document_data_source.go).

Builds the JSON from statement blocks; one-element lists render as strings, as the real
provider does; source documents come first, same-Sid statements from this document and then
override documents replace them; a sid used twice among the statement blocks, or among the
source documents, is an error (as dataSourcePolicyDocumentRead). Version and Id merge as
IAMPolicyDoc.Merge does (a later non-empty Id wins, a greater Version wins) and an empty
statement list is left out (omitempty). Output is indented with two spaces; minified_json too.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from ...plugin.errors import ProviderError
from ...plugin.resource import DataSource, State
from ...plugin.schema import STRING, STRING_LIST, STRING_SET, Attribute, Block, NestedBlock

_PRINCIPALS = NestedBlock(
    Block(
        {
            "type": Attribute(STRING, required=True),
            "identifiers": Attribute(STRING_SET, required=True),
        }
    ),
    nesting="set",
)
_CONDITION = NestedBlock(
    Block(
        {
            "test": Attribute(STRING, required=True),
            "variable": Attribute(STRING, required=True),
            "values": Attribute(STRING_LIST, required=True),
        }
    ),
    nesting="set",
)
_STATEMENT = NestedBlock(
    Block(
        attributes={
            "sid": Attribute(STRING, optional=True),
            "effect": Attribute(STRING, optional=True, default="Allow"),
            "actions": Attribute(STRING_SET, optional=True),
            "not_actions": Attribute(STRING_SET, optional=True),
            "resources": Attribute(STRING_SET, optional=True),
            "not_resources": Attribute(STRING_SET, optional=True),
        },
        blocks={"principals": _PRINCIPALS, "not_principals": _PRINCIPALS, "condition": _CONDITION},
    ),
    nesting="list",
)


def _one_or_list(values: list[str] | None) -> Any:
    items = sorted(set(values or []), reverse=True)
    return items[0] if len(items) == 1 else items


def _principals(blocks: list[dict[str, Any]]) -> Any:
    out: dict[str, Any] = {}
    for block in blocks:
        if block["type"] == "*" and block["identifiers"] == ["*"]:
            return "*"
        out[block["type"]] = _one_or_list(block["identifiers"])
    return out


def _statement(block: dict[str, Any]) -> dict[str, Any]:
    stmt: dict[str, Any] = {}
    if block.get("sid"):
        stmt["Sid"] = block["sid"]
    stmt["Effect"] = block.get("effect") or "Allow"
    for attr, key in (
        ("actions", "Action"),
        ("not_actions", "NotAction"),
        ("resources", "Resource"),
        ("not_resources", "NotResource"),
    ):
        if block.get(attr):
            stmt[key] = _one_or_list(block[attr])
    if block.get("principals"):
        stmt["Principal"] = _principals(block["principals"])
    if block.get("not_principals"):
        stmt["NotPrincipal"] = _principals(block["not_principals"])
    conditions: dict[str, dict[str, Any]] = {}
    for cond in block.get("condition") or []:
        values = cond["values"]
        conditions.setdefault(cond["test"], {})[cond["variable"]] = (
            values[0] if len(values) == 1 else values
        )
    if conditions:
        stmt["Condition"] = conditions
    return stmt


def _merge(base: list[dict[str, Any]], extra: list[dict[str, Any]]) -> list[dict[str, Any]]:
    merged = list(base)
    for stmt in extra:
        sid = stmt.get("Sid")
        index = next((i for i, s in enumerate(merged) if sid and s.get("Sid") == sid), None)
        if index is None:
            merged.append(stmt)
        else:
            merged[index] = stmt
    return merged


def _document(text: str) -> dict[str, Any]:
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise ProviderError(f"reading source policy document: {exc}") from exc
    return doc if isinstance(doc, dict) else {}


def _statements_of(text: str) -> list[dict[str, Any]]:
    stmts = _document(text).get("Statement", [])
    return stmts if isinstance(stmts, list) else [stmts]


def _header(texts: list[str]) -> tuple[str, str]:
    """IAMPolicyDoc.Merge's Version and Id over documents merged in order: a later non-empty
    Id replaces the earlier one; a later Version wins only when greater."""
    version = doc_id = ""
    for text in texts:
        doc = _document(text)
        if isinstance(doc.get("Id"), str) and doc["Id"]:
            doc_id = doc["Id"]
        if isinstance(doc.get("Version"), str) and doc["Version"] > version:
            version = doc["Version"]
    return version, doc_id


def _sources(texts: list[str]) -> list[dict[str, Any]]:
    """source_policy_documents merged in order; a Sid seen twice across them is an error."""
    merged: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, text in enumerate(texts):
        stmts = _statements_of(text)
        for number, stmt in enumerate(stmts):
            sid = stmt.get("Sid") or ""
            if sid and sid in seen:
                raise ProviderError(
                    f"writing IAM Policy Document: merging source document {index}: duplicate "
                    f"Sid ({sid}) in source_policy_documents (statement {number}). Remove the "
                    "Sid or ensure Sids are unique."
                )
            if sid:
                seen.add(sid)
        merged = _merge(merged, stmts)
    return merged


def _own_statements(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The data source's statement blocks; a non-blank sid used twice is an error."""
    seen: set[str] = set()
    for block in blocks:
        sid = block.get("sid") or ""
        if sid in seen:
            raise ProviderError(
                f"writing IAM Policy Document: duplicate Sid ({sid}). Remove the Sid or ensure "
                "the Sid is unique."
            )
        if sid:
            seen.add(sid)
    return [_statement(b) for b in blocks]


class PolicyDocumentDataSource(DataSource):
    type_name = "aws_iam_policy_document"
    schema = Block(
        attributes={
            "id": Attribute(STRING, optional=True, computed=True),
            "json": Attribute(STRING, computed=True),
            "minified_json": Attribute(STRING, computed=True),
            "override_policy_documents": Attribute(STRING_LIST, optional=True),
            "policy_id": Attribute(STRING, optional=True),
            "source_policy_documents": Attribute(STRING_LIST, optional=True),
            "version": Attribute(STRING, optional=True, default="2012-10-17"),
        },
        blocks={"statement": _STATEMENT},
    )

    def read(self, meta: Any, config: State) -> State:
        statements = _sources(config.get("source_policy_documents") or [])
        statements = _merge(statements, _own_statements(config.get("statement") or []))
        for override in config.get("override_policy_documents") or []:
            statements = _merge(statements, _statements_of(override))
        # Sources, this document, then overrides, each merged as IAMPolicyDoc.Merge does.
        own = json.dumps(
            {"Version": config.get("version") or "2012-10-17", "Id": config.get("policy_id") or ""}
        )
        version, doc_id = _header(
            [
                *(config.get("source_policy_documents") or []),
                own,
                *(config.get("override_policy_documents") or []),
            ]
        )
        doc: dict[str, Any] = {"Version": version}
        if doc_id:
            doc["Id"] = doc_id
        if statements:
            doc["Statement"] = statements
        text = json.dumps(doc, indent=2)
        minified = json.dumps(doc, separators=(",", ":"))
        return {
            **config,
            "version": doc["Version"],
            "json": text,
            "minified_json": minified,
            "id": str(int(hashlib.sha256(text.encode()).hexdigest()[:8], 16)),
        }
