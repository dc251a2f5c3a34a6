"""The fingerprint step Terraform runs at plan time (hashicorp/external's protocol).

Terraform sends {"source": URI, "key_spec": SPEC} on stdin and receives
{"fingerprint": "..."}: a value that identifies the material without revealing it. For a
`generate:` source this is where the material is first drawn and escrowed. The query may also
carry `profile` and `assume_role` (jsonencode of the provider's block): the credentials for
secretsmanager:, ssm: and escrow sources.
"""

from __future__ import annotations

import json

from . import aws
from .errors import UsageError
from .keyspecs import key_spec
from .sources import open_source


def fingerprint_of(source: str, spec_name: str = "SYMMETRIC_DEFAULT") -> str:
    spec = key_spec(spec_name)
    with open_source(source).read(spec) as material:
        return material.fingerprint(spec)


def from_query(text: str, flags: aws.Credentials | None = None) -> dict[str, str]:
    try:
        query = json.loads(text or "{}")
    except json.JSONDecodeError:
        raise UsageError(
            "the query on stdin is not JSON", "pass --source, or a JSON object"
        ) from None
    if not isinstance(query, dict) or not isinstance(query.get("source"), str):
        raise UsageError('the query needs a "source" string', 'send {"source": "file:///..."}')
    creds, query = aws.query_credentials(query, flags or aws.Credentials())
    aws.use_credentials(creds)
    spec_name = query.get("key_spec") or "SYMMETRIC_DEFAULT"
    return {"fingerprint": fingerprint_of(query["source"], str(spec_name))}
