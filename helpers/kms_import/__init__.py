"""kms-import: bring your own key material into AWS KMS without it ever reaching Terraform.

Terraform only passes references (a material source URI, a key id, a fingerprint); this
package reads the material, wraps it in memory for KMS, imports it and proves the key works.
"""

__version__ = "0.2.0"
