"""Small Terraform roots written into a test's tmp dir (never into the source tree)."""

from __future__ import annotations

import base64
import os
from collections.abc import Callable
from pathlib import Path

from offline.fixtures import TerraformRunner
from offline.stack import OfflineStack

PROVIDERS = """
terraform {
  required_providers {
    aws      = { source = "hashicorp/aws", version = "~> 6.0" }
    external = { source = "hashicorp/external", version = "~> 2.3" }
  }
}

provider "aws" {
  region                      = "us-east-1"
  skip_credentials_validation = true
  skip_metadata_api_check     = "true"
  default_tags { tags = { suite = "terraform-offline" } }
}
"""


def write_root(directory: Path, body: str, providers: str = PROVIDERS) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "main.tf").write_text(providers + body)
    return directory


def init_root(
    tf: Callable[..., TerraformRunner], tmp_path: Path, body: str, providers: str = PROVIDERS
) -> TerraformRunner:
    """The root `body` written into tmp_path/r and initialised: where most tests start."""
    runner = tf(write_root(tmp_path / "r", body, providers))
    runner.init()
    return runner


def material() -> str:
    """Fresh 32-byte symmetric material, base64 (test-only: these roots use the provider's
    own key_material_base64 import, which the project's modules never do)."""
    return base64.b64encode(os.urandom(32)).decode()


def kms(stack: OfflineStack) -> object:
    return stack.client("kms")
