terraform {
  required_version = ">= 1.9"

  # State stays local by default. `make demo` points this at .offline/ with -backend-config;
  # teams switch to backend "s3" (docs/guide.md, State in S3). State never holds key material either way.
  backend "local" {}

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.11" # aws_kms_external_key key_spec/key_usage (#44011)
    }
    external = {
      source  = "hashicorp/external"
      version = "~> 2.3"
    }
  }
}

# profile and assume_role reach the kms-import helper too (module.key), so the material is
# imported by the principal that creates the keys.
provider "aws" {
  region  = var.region
  profile = var.profile

  dynamic "assume_role" {
    for_each = var.assume_role == null ? [] : [var.assume_role]
    content {
      role_arn     = assume_role.value.role_arn
      session_name = assume_role.value.session_name
      external_id  = assume_role.value.external_id
      duration     = assume_role.value.duration
    }
  }
}
