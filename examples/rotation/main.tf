# Rotation the way imported keys allow it: every generation is its own key with its own
# material, and alias/example-rotation follows active_generation (UpdateAlias, in place).
# Rotate: add a generation with new material, make it active, apply. Old generations keep
# decrypting what they encrypted until you remove them (which schedules their deletion).

module "key" {
  source = "../../modules/rotating-key"

  alias_name        = "alias/example-rotation"
  description       = "example: rotation"
  active_generation = var.active_generation
  generations = {
    for name, generation in var.generations : name => {
      material_source         = generation.material_source
      valid_to                = generation.valid_to
      enabled                 = generation.enabled
      deletion_window_in_days = 7
    }
  }
  helper_command = var.helper_command
}
