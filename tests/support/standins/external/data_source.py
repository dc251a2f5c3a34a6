"""`data "external"`, mirroring terraform-provider-external internal/provider/data_source.go.

Protocol: the query (a JSON object of strings, nulls dropped) goes to the program's stdin; the
program prints a JSON object of strings. A non-zero exit is an error carrying its stderr; any
non-string value in the result is an error. The program runs without a shell, in working_dir
(or the current directory: the root module's, as Terraform starts providers there).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from typing import Any

from ..plugin.errors import ProviderError
from ..plugin.resource import DataSource, State
from ..plugin.schema import STRING, STRING_LIST, STRING_MAP, Attribute, Block

_LOOKUP_HELP = (
    "The data source received an unexpected error while attempting to find the program.\n"
    "The program must be accessible according to the platform where Terraform is running."
)
_RESULT_HELP = (
    "The data source received unexpected results after executing the program.\n\n"
    "Program output must be a JSON encoded map of string keys and string values.\n"
)


class ExternalDataSource(DataSource):
    type_name = "external"
    schema = Block(
        attributes={
            "program": Attribute(
                STRING_LIST,
                required=True,
                validate=lambda v: None if len(v) >= 1 else "list must contain at least 1 element",
            ),
            "working_dir": Attribute(STRING, optional=True),
            "query": Attribute(STRING_MAP, optional=True),
            "result": Attribute(STRING_MAP, computed=True),
            "id": Attribute(STRING, computed=True),
        }
    )

    def read(self, meta: Any, config: State) -> State:
        program = [arg for arg in config.get("program") or [] if arg]
        if not program:
            raise ProviderError(
                "External Program Missing",
                "The data source was configured without a program to execute. Verify the "
                "configuration contains at least one non-empty value.",
            )
        query = {k: v for k, v in (config.get("query") or {}).items() if v is not None}
        path = _look_path(program[0])
        result = _run([path, *program[1:]], query, config.get("working_dir") or None)
        return {**config, "result": result, "id": "-"}


def _look_path(name: str) -> str:
    # Go's exec.LookPath: a name with a slash is used as is (relative to the working dir).
    if os.sep in name:
        if os.access(name, os.X_OK):
            return name
        found = None
    else:
        found = shutil.which(name)
    if not found:
        raise ProviderError(
            "External Program Lookup Failed",
            f"{_LOOKUP_HELP}\nPlatform: {sys.platform}\nProgram: {name}\n"
            f'Error: exec: "{name}": executable file not found in $PATH',
        )
    return found


def _run(argv: list[str], query: dict[str, str], cwd: str | None) -> dict[str, str]:
    try:
        proc = subprocess.run(
            argv, input=json.dumps(query).encode(), capture_output=True, cwd=cwd, check=False
        )
    except OSError as exc:
        raise ProviderError(
            "External Program Execution Failed",
            "The data source received an unexpected error while attempting to execute the "
            f"program.\n\nProgram: {argv[0]}\nState: {exc}",
        ) from exc
    if proc.returncode != 0:
        stderr = proc.stderr.decode(errors="replace")
        state = f"exit status {proc.returncode}"
        if stderr:
            detail = f"\n\nProgram: {argv[0]}\nError Message: {stderr}\nState: {state}"
        else:
            detail = (
                ".\n\nThe program was executed, however it returned no additional error "
                f"messaging.\n\nProgram: {argv[0]}\nState: {state}"
            )
        raise ProviderError(
            "External Program Execution Failed",
            "The data source received an unexpected error while attempting to execute the "
            "program." + detail,
        )
    return _parse_result(proc.stdout, argv[0])


def _parse_result(raw: bytes, program: str) -> dict[str, str]:
    try:
        result = json.loads(raw)
        if not isinstance(result, dict):
            raise ValueError(f"cannot unmarshal {type(result).__name__} into map[string]string")
        for key, value in result.items():
            if not isinstance(value, str):
                raise ValueError(
                    f"json: cannot unmarshal {type(value).__name__} into Go value of type string"
                    f" (key {key!r})"
                )
    except ValueError as exc:
        raise ProviderError(
            "Unexpected External Program Results",
            f"{_RESULT_HELP}\nProgram: {program}\nResult Error: {exc}",
        ) from exc
    return result
