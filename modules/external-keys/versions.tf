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
