"""Hooks the add-on into moto's KMS classes, once per process.

moto dispatches a KMS action by method name on KmsResponse (which calls KmsBackend), in
both `mock_aws()` and server mode, so setting methods on those classes is enough; nothing
of moto is copied.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

from localaws.kms import backend, ciphertext, lifecycle, responses, specs, states
from localaws.kms.errors import UnsupportedOperationException, ValidationException
from localaws.kms.tags import check as check_tags

_lock = threading.Lock()
_installed = False


def install() -> None:
    global _installed
    with _lock:
        if _installed:
            return
        from moto.kms import models
        from moto.kms.responses import KmsResponse

        for name, method in backend.METHODS.items():
            setattr(models.KmsBackend, name, method)
        for name, method in responses.METHODS.items():
            setattr(KmsResponse, name, method)
        # Wrapping moto's own methods is the point here, hence the ignores.
        models.KmsBackend.create_key = _create_key(models.KmsBackend.create_key)  # type: ignore[method-assign]
        models.KmsBackend.replicate_key = _replicate_key(models.KmsBackend.replicate_key)  # type: ignore[method-assign]
        models.KmsBackend.update_alias = _update_alias(models.KmsBackend.update_alias)  # type: ignore[method-assign]
        models.KmsBackend.rotate_key_on_demand = _rotate_key_on_demand(  # type: ignore[method-assign]
            models.KmsBackend.rotate_key_on_demand
        )
        KmsResponse.replicate_key = _replicate_key_tags(KmsResponse.replicate_key)  # type: ignore[method-assign]
        for action in ("create_key", "tag_resource", "replicate_key"):
            setattr(KmsResponse, action, _checked_tags(getattr(KmsResponse, action)))
        KmsResponse.list_key_rotations = _list_key_rotations(KmsResponse.list_key_rotations)  # type: ignore[method-assign,assignment]
        models.Key.to_dict = _to_dict(models.Key.to_dict)  # type: ignore[method-assign]
        models.generate_private_key = _lazy(models.generate_private_key)  # type: ignore[assignment]
        _guard_all(KmsResponse)
        _installed = True


def _create_key(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def create_key(
        self: Any, policy: Any, key_usage: Any, key_spec: Any, *args: Any, **kwargs: Any
    ) -> Any:
        key = original(self, policy, key_usage or "ENCRYPT_DECRYPT", key_spec, *args, **kwargs)
        if lifecycle.is_external(key):
            lifecycle.start_pending_import(key)
        return key

    return create_key


def _replicate_key(original: Callable[..., Any]) -> Callable[..., Any]:
    """moto's replica is a shallow copy sharing the primary's material, aliases and grants.
    A KMS replica of an EXTERNAL key starts PendingImport and accepts only the primary's
    material; aliases and grants are per Region."""

    @functools.wraps(original)
    def replicate_key(self: Any, key_id: str, replica_region: str) -> Any:
        replica = original(self, key_id, replica_region)
        replica.aliases, replica.grants = {}, {}
        # moto's copy shares the primary's MultiRegionConfiguration dict, so describing a
        # replica flips the primary to REPLICA as well. Each key gets its own; the list of
        # replicas stays shared, as KMS shows it on the primary and on every replica.
        shared = replica.multi_region_configuration
        replica.multi_region_configuration = {
            "MultiRegionKeyType": "REPLICA",
            "PrimaryKey": dict(shared["PrimaryKey"]),
            "ReplicaKeys": shared["ReplicaKeys"],
        }
        shared["MultiRegionKeyType"] = "PRIMARY"
        if lifecycle.is_external(replica):
            primary = lifecycle.record(self.keys[self.get_key_id(key_id)])
            replica.localaws = lifecycle.replica_record(primary)
            lifecycle.start_pending_import(replica)
        return replica

    return replicate_key


def _replicate_key_tags(original: Callable[..., Any]) -> Callable[..., Any]:
    """ReplicateKey's Tags go on the replica (its tags are its own); moto drops them."""

    @functools.wraps(original)
    def replicate_key(self: Any) -> str:
        body = original(self)
        tags = self._get_param("Tags") or []
        if tags:
            from moto.kms.models import kms_backends

            region = self._get_param("ReplicaRegion")
            replica = kms_backends[self.current_account][region]
            replica.tagger.tag_resource(self._get_param("KeyId").split("/")[-1], tags)
        return str(body)

    return replicate_key


def _checked_tags(original: Callable[[Any], str]) -> Callable[[Any], str]:
    """CreateKey, TagResource and ReplicateKey refuse a broken tag before doing anything."""

    @functools.wraps(original)
    def checked(self: Any) -> str:
        check_tags(self._get_param("Tags"))
        return original(self)

    return checked


def _update_alias(original: Callable[..., Any]) -> Callable[..., Any]:
    """KMS only retargets an alias to a key of the same type and usage."""

    @functools.wraps(original)
    def update_alias(self: Any, target_key_id: str, alias_name: str) -> Any:
        new = self.keys[self.get_key_id(target_key_id)]
        current_id = self.get_key_id_from_alias(alias_name)
        current = self.keys.get(current_id) if current_id else None
        if current is not None and (_kind(current), current.key_usage) != (
            _kind(new),
            new.key_usage,
        ):
            raise ValidationException(
                f"{alias_name} can only point to a key of the same type and key usage."
            )
        return original(self, target_key_id, alias_name)

    return update_alias


def _kind(key: Any) -> str:
    if specs.is_hmac(key.key_spec):
        return "HMAC"
    return "SYMMETRIC" if key.key_spec == specs.SYMMETRIC else "ASYMMETRIC"


def _rotate_key_on_demand(original: Callable[..., Any]) -> Callable[..., Any]:
    """Only symmetric encryption keys rotate (KMS answers others with an empty
    UnsupportedOperationException, recorded); EXTERNAL keys rotate to their pending material."""

    @functools.wraps(original)
    def rotate_key_on_demand(self: Any, key_id: str) -> Any:
        key = self.describe_key(key_id)
        if key.key_spec != specs.SYMMETRIC:
            raise UnsupportedOperationException("")
        if lifecycle.is_external(key):
            return backend.rotate_external_key(self, key)
        return original(self, key_id)

    return rotate_key_on_demand


def _list_key_rotations(original: Callable[[Any], str]) -> Callable[[Any], str]:
    """EXTERNAL keys list their materials (IncludeKeyMaterial); others are moto's."""

    @functools.wraps(original)
    def list_key_rotations(self: Any) -> str:
        key_id = self._get_param("KeyId")
        self._validate_key_id(key_id)
        key = self.kms_backend.describe_key(key_id)
        if lifecycle.is_external(key):
            return responses.external_key_rotations(self, key)
        return original(self)

    return list_key_rotations


def _to_dict(original: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    """DescribeKey of an EXTERNAL key reports ExpirationModel (and ValidTo when the
    material expires) while it holds material, and CurrentKeyMaterialId for symmetric
    encryption keys."""

    @functools.wraps(original)
    def to_dict(self: Any) -> dict[str, Any]:
        result = original(self)
        rec = getattr(self, "localaws", None)
        current = rec.current() if rec is not None else None
        if rec is None or current is None:
            return result
        meta = result["KeyMetadata"]
        if self.key_spec == specs.SYMMETRIC:
            meta["CurrentKeyMaterialId"] = current.id
        if rec.has_material and current.expiration_model is not None:
            meta["ExpirationModel"] = current.expiration_model
            if current.valid_to is not None:
                meta["ValidTo"] = current.valid_to.timestamp()
        return result

    return to_dict


class _LazyPrivateKey:
    """moto generates an RSA key for every new key, symmetric ones included (~0.07 s each);
    this defers that until something uses it."""

    def __init__(self, factory: Callable[[str], Any], key_spec: str) -> None:
        self._factory, self._key_spec, self._real = factory, key_spec, None

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if self._real is None:
            self._real = self._factory(self._key_spec)
        return getattr(self._real, name)


def _lazy(factory: Callable[[str], Any]) -> Callable[[str], Any]:
    return lambda key_spec: _LazyPrivateKey(factory, key_spec)


def _guard_all(response_class: Any) -> None:
    """Every KMS action first applies what the clock says (expiry, deletion), then the
    key-state rules for the keys it names."""
    for name in dir(response_class):
        method = getattr(response_class, name)
        if name.startswith("_") or not callable(method) or name in ("dispatch", "setup_class"):
            continue
        if not (name in states.RULES or name in _PLAIN_ACTIONS):
            continue
        setattr(response_class, name, _guarded(name, method))


# Actions without state rules that still must see expiry/deletion first.
_PLAIN_ACTIONS = {
    "describe_key",
    "list_keys",
    "list_aliases",
    "delete_imported_key_material",
    "list_resource_tags",
    "get_key_policy",
    "delete_alias",
    "list_key_rotations",
    "get_key_rotation_status",
}


def _guarded(action: str, method: Callable[[Any], str]) -> Callable[[Any], str]:
    @functools.wraps(method)
    def guarded(self: Any) -> str:
        kms = self.kms_backend
        lifecycle.sweep(kms)
        for key in _named_keys(self, kms, action):
            states.check(action, key)
        return method(self)

    return guarded


def _named_keys(response: Any, kms: Any, action: str) -> list[Any]:
    ids = [response._get_param(field) for field in states.KEY_FIELDS.get(action, ("KeyId",))]
    if action in states.BLOB_FIELDS:
        blob = response._get_param("CiphertextBlob")
        if isinstance(blob, bytes):
            ids.append(ciphertext.key_id_of(blob))
    found = []
    for key_id in ids:
        if not isinstance(key_id, str) or not key_id:
            continue
        try:
            key = kms.keys.get(kms.any_id_to_key_id(key_id))
        except (AttributeError, TypeError, KeyError):
            key = None  # unknown alias: moto's own validation reports it
        if key is not None and key not in found:
            found.append(key)
    return found
