# Grants on the key (var.grants), e.g. for a principal or an AWS service that should use the
# key without a key policy change. Created once the key holds material, like the alias.

resource "aws_kms_grant" "this" {
  for_each = var.grants

  name                  = coalesce(each.value.name, each.key)
  key_id                = aws_kms_external_key.this.id
  grantee_principal     = each.value.grantee_principal
  operations            = each.value.operations
  retiring_principal    = each.value.retiring_principal
  grant_creation_tokens = each.value.grant_creation_tokens
  retire_on_delete      = each.value.retire_on_delete

  dynamic "constraints" {
    for_each = each.value.constraints
    content {
      encryption_context_equals = constraints.value.encryption_context_equals
      encryption_context_subset = constraints.value.encryption_context_subset
    }
  }

  depends_on = [terraform_data.material_import]
}
