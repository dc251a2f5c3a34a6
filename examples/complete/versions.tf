terraform {
  required_version = ">= 1.9"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.11"
    }
    external = {
      source  = "hashicorp/external"
      version = "~> 2.3"
    }
  }
}

# The same profile and role go to both modules, so the helper imports as this principal.
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
