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

provider "aws" {
  region = var.region
}
