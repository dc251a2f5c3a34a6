# Who the helper acts as: the same principal as the provider, when the root passes the
# provider block's profile and assume_role here. Both helper runs get them as flags (never
# in the plan step's query, whose keys are key names, nor in the import step's triggers:
# changing who runs the import does not re-import). Only references: a profile name, a role
# ARN and the role's external id, which the provider keeps in its configuration too.
locals {
  credential_args = concat(
    var.profile == null ? [] : ["--profile", var.profile],
    var.assume_role == null ? [] : concat(
      ["--assume-role-arn", var.assume_role.role_arn],
      var.assume_role.session_name == null ? [] : ["--assume-role-session-name", var.assume_role.session_name],
      var.assume_role.external_id == null ? [] : ["--assume-role-external-id", var.assume_role.external_id],
      var.assume_role.duration == null ? [] : ["--assume-role-duration", var.assume_role.duration],
    ),
  )
}
