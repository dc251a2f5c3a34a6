# One multi-Region key: the primary in var.region and a replica in each of
# var.replica_regions, all holding the SAME material, each imported with its own import
# parameters. A ciphertext from the primary decrypts in every replica's Region. Adding a
# Region later replicates and imports only there; removing one schedules that replica's
# deletion.

module "key" {
  source = "../../modules/external-key"

  alias_name      = "alias/example-multi-region" # aliases are per Region: this one is the primary's
  description     = "example: multi-Region imported key"
  material_source = var.material_source
  multi_region    = true
  replica_regions = var.replica_regions
  helper_command  = var.helper_command
}
