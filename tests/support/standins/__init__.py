"""Test-support stand-ins for the hashicorp/aws and hashicorp/external Terraform providers.

Selected only by the CLI config that `standins.install.write_cli_config` writes (dev_overrides);
never used against real AWS. `plugin` is the small SDKv2-like layer over the tfprotov6 wire
protocol, `aws` and `external` hold one module per resource or data source.
"""
