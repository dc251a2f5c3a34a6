terraform {
  required_version = ">= 1.9"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 6.11" # key_spec/key_usage on aws_kms_external_key (provider PR #44011)
    }
    external = {
      source  = "hashicorp/external"
      version = ">= 2.3"
    }
  }
}

# The kms-import helper versions this module works with, passed to every helper run as
# `kms-import --requires`: a helper outside the range stops the plan in one line naming both
# versions and the install command. Move it with each minor release of the helper (the
# module and the helper are released together, under one tag).
locals {
  helper_versions = ">=0.2.0, <0.3.0"
}
