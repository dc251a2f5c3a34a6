# A second, separate root reusing the module as a team would: two keys, one without alias,
# one expiring, both from their own material references.

terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
    }
  }
}

provider "aws" {
  region = "us-east-1"
}

variable "payments_source" {
  description = "Material reference for the payments key."
  type        = string
}

variable "reports_source" {
  description = "Material reference for the reports key."
  type        = string
}

variable "reports_valid_to" {
  description = "Expiry of the reports key's material."
  type        = string
}

module "payments" {
  source = "../modules/external-key"

  alias_name      = "alias/payments"
  material_source = var.payments_source
}

module "reports" {
  source = "../modules/external-key"

  alias_name              = null
  description             = "reports, no alias"
  material_source         = var.reports_source
  valid_to                = var.reports_valid_to
  deletion_window_in_days = 7
  tags                    = { team = "reports" }
}

output "payments_key_arn" {
  description = "ARN of the payments key."
  value       = module.payments.key_arn
}

output "reports_key_arn" {
  description = "ARN of the reports key."
  value       = module.reports.key_arn
}

output "reports_alias" {
  description = "Alias of the reports key (none)."
  value       = module.reports.alias_name
}
