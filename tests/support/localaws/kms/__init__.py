"""The KMS import add-on for moto: GetParametersForImport, ImportKeyMaterial,
DeleteImportedKeyMaterial, and KMS's key-state rules."""

from localaws.kms.install import install

__all__ = ["install"]
