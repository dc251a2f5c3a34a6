"""tfplugin6 RPCs over SDKv2-shaped resources, served by goplugin.py over pyvider's protocol stubs.

SDKv2 semantics mirrored here (helper/schema/grpc_provider.go):
- Plan: Default fills a null config value; on create, Computed attributes without a config
  value are unknown; on update they keep prior state; a change to a ForceNew attribute adds
  it to RequiresReplace and makes unconfigured computed attributes unknown again.
- Plan and Apply answer with the legacy type system flag set (UnsafeToUseLegacyTypeSystem),
  so core only logs a warning when applied values differ from the plan, as with the real
  provider (e.g. `enabled` of a PendingImport key).
- Read returning None removes the object from state; Import is passthrough then Read.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

from attrs import define

from .codec import UNKNOWN, decode, encode, is_known
from .errors import ProviderError
from .resource import DataSource, Plan, Resource, State
from .schema import Block
from .tfplugin6 import pb

Configure = Callable[[State], Any]


@define
class ProviderSpec:
    schema: Block
    configure: Configure
    resources: dict[str, Resource]
    data_sources: dict[str, DataSource]


def _diag(summary: str, detail: str = "", warning: bool = False) -> pb.Diagnostic:
    severity = pb.Diagnostic.WARNING if warning else pb.Diagnostic.ERROR
    return pb.Diagnostic(severity=severity, summary=summary, detail=detail)


def _error_diag(exc: Exception) -> pb.Diagnostic:
    if isinstance(exc, ProviderError):
        return _diag(exc.summary, exc.detail)
    return _diag(f"{type(exc).__name__}: {exc}", "stand-in provider bug: unexpected exception")


def plan_change(
    resource: Resource, meta: Any, prior: State | None, config: State, proposed: State
) -> Plan:
    schema = resource.schema
    planned = dict(proposed)
    for name, attr in schema.attributes.items():
        if attr.default is not None and config.get(name) is None:
            planned[name] = attr.default
    plan = Plan(prior=prior, config=config, planned=planned)
    if prior is not None:
        plan.replace = {
            name
            for name, attr in schema.attributes.items()
            if attr.force_new and plan.changed(name)
        }
    if plan.creating:
        for name, attr in schema.attributes.items():
            if attr.computed and config.get(name) is None and attr.default is None:
                planned[name] = UNKNOWN
        if "id" in schema.attributes:
            planned["id"] = UNKNOWN
    resource.customize_diff(meta, plan)
    return plan


class Servicer:
    """The tfplugin6 methods this provider answers; the rest say 'unsupported'."""

    def __init__(self, spec: ProviderSpec) -> None:
        self.spec = spec
        self.meta: Any = None

    # --- provider ---
    async def GetMetadata(self, request: Any, context: Any) -> Any:
        return pb.GetMetadata.Response(
            server_capabilities=pb.ServerCapabilities(plan_destroy=False),
            resources=[pb.GetMetadata.ResourceMetadata(type_name=n) for n in self.spec.resources],
            data_sources=[
                pb.GetMetadata.DataSourceMetadata(type_name=n) for n in self.spec.data_sources
            ],
        )

    async def GetProviderSchema(self, request: Any, context: Any) -> Any:
        resp = pb.GetProviderSchema.Response(provider=self.spec.schema.schema())
        for name, res in self.spec.resources.items():
            resp.resource_schemas[name].CopyFrom(res.schema.schema())
        for name, ds in self.spec.data_sources.items():
            resp.data_source_schemas[name].CopyFrom(ds.schema.schema())
        return resp

    async def ValidateProviderConfig(self, request: Any, context: Any) -> Any:
        config = decode(request.config) or {}
        errors = self.spec.schema.validate(config)
        return pb.ValidateProviderConfig.Response(diagnostics=[_diag(e) for e in errors])

    async def ConfigureProvider(self, request: Any, context: Any) -> Any:
        try:
            self.meta = self.spec.configure(decode(request.config) or {})
        except Exception as exc:
            return pb.ConfigureProvider.Response(diagnostics=[_error_diag(exc)])
        return pb.ConfigureProvider.Response()

    async def StopProvider(self, request: Any, context: Any) -> Any:
        return pb.StopProvider.Response()

    async def GetFunctions(self, request: Any, context: Any) -> Any:
        return pb.GetFunctions.Response()

    async def GetResourceIdentitySchemas(self, request: Any, context: Any) -> Any:
        return pb.GetResourceIdentitySchemas.Response()

    # --- resources ---
    async def ValidateResourceConfig(self, request: Any, context: Any) -> Any:
        res = self.spec.resources[request.type_name]
        errors = res.schema.validate(decode(request.config) or {})
        return pb.ValidateResourceConfig.Response(diagnostics=[_diag(e) for e in errors])

    async def UpgradeResourceState(self, request: Any, context: Any) -> Any:
        res = self.spec.resources[request.type_name]
        raw = json.loads(request.raw_state.json or b"{}")
        state = res.schema.fill(raw)
        return pb.UpgradeResourceState.Response(
            upgraded_state=pb.DynamicValue(msgpack=encode(state))
        )

    async def ReadResource(self, request: Any, context: Any) -> Any:
        res = self.spec.resources[request.type_name]
        current = decode(request.current_state)
        resp = pb.ReadResource.Response(private=request.private)
        try:
            fresh = await _call(res.read, self.meta, current)
        except Exception as exc:
            resp.diagnostics.append(_error_diag(exc))
            resp.new_state.msgpack = request.current_state.msgpack
            return resp
        resp.new_state.msgpack = encode(None if fresh is None else res.schema.fill(fresh))
        return resp

    async def PlanResourceChange(self, request: Any, context: Any) -> Any:
        res = self.spec.resources[request.type_name]
        resp = pb.PlanResourceChange.Response(legacy_type_system=True)
        proposed = decode(request.proposed_new_state)
        prior = decode(request.prior_state)
        if proposed is None:  # destroy
            resp.planned_state.msgpack = encode(None)
            return resp
        try:
            plan = await _call(
                plan_change, res, self.meta, prior, decode(request.config) or {}, proposed
            )
        except Exception as exc:
            resp.diagnostics.append(_error_diag(exc))
            return resp
        resp.planned_state.msgpack = encode(res.schema.fill(plan.planned))
        resp.requires_replace.extend(
            pb.AttributePath(steps=[pb.AttributePath.Step(attribute_name=n)])
            for n in sorted(plan.replace)
        )
        resp.planned_private = request.prior_private
        return resp

    async def ApplyResourceChange(self, request: Any, context: Any) -> Any:
        res = self.spec.resources[request.type_name]
        resp = pb.ApplyResourceChange.Response(legacy_type_system=True)
        prior = decode(request.prior_state)
        planned_raw = decode(request.planned_state)
        if prior is not None and planned_raw is not None:
            planned_raw = _update_as_sdk_sees_it(res.schema, prior, planned_raw)
        # d.Get of a not-yet-known value is its zero value in SDKv2: resources see None.
        planned = _unknown_to_none(planned_raw)
        new_state: State | None
        try:
            if planned is None:
                await _call(res.delete, self.meta, prior)
                new_state = None
            elif prior is None:
                new_state = await _call(res.create, self.meta, planned)
            else:
                new_state = await _call(res.update, self.meta, prior, planned)
        except ProviderError as exc:
            resp.diagnostics.append(_error_diag(exc))
            new_state = exc.state if planned is not None and prior is None else prior
        except Exception as exc:
            resp.diagnostics.append(_error_diag(exc))
            new_state = prior
        if new_state is not None and not is_known(new_state):
            resp.diagnostics.append(_diag("stand-in provider bug: unknown value after apply"))
        resp.new_state.msgpack = encode(None if new_state is None else res.schema.fill(new_state))
        return resp

    async def ImportResourceState(self, request: Any, context: Any) -> Any:
        res = self.spec.resources[request.type_name]
        try:
            state = await _call(res.import_state, self.meta, request.id)
        except Exception as exc:
            return pb.ImportResourceState.Response(diagnostics=[_error_diag(exc)])
        item = pb.ImportResourceState.ImportedResource(
            type_name=request.type_name,
            state=pb.DynamicValue(msgpack=encode(res.schema.fill(state))),
        )
        return pb.ImportResourceState.Response(imported_resources=[item])

    # --- data sources ---
    async def ValidateDataResourceConfig(self, request: Any, context: Any) -> Any:
        ds = self.spec.data_sources[request.type_name]
        errors = ds.schema.validate(decode(request.config) or {})
        return pb.ValidateDataResourceConfig.Response(diagnostics=[_diag(e) for e in errors])

    async def ReadDataSource(self, request: Any, context: Any) -> Any:
        ds = self.spec.data_sources[request.type_name]
        config = decode(request.config) or {}
        try:
            state = await _call(ds.read, self.meta, config)
        except Exception as exc:
            return pb.ReadDataSource.Response(diagnostics=[_error_diag(exc)], state=request.config)
        return pb.ReadDataSource.Response(
            state=pb.DynamicValue(msgpack=encode(ds.schema.fill(state)))
        )


def _update_as_sdk_sees_it(schema: Block, prior: State, planned: State) -> State:
    """What an SDKv2 Update works from: ApplyResourceChange re-diffs the prior state against
    the planned state used as config (schema.DiffFromValues). A computed attribute still
    unknown there is dropped from that config (removeConfigUnknowns), so it keeps its prior
    value; a null attribute with a Default gets the Default (ConfigFieldReader), which then
    lands in the new state even where the plan had null (core only warns: legacy type
    system). RequiresNew flags are switched off at this point ("too late to act upon")."""
    seen = dict(planned)
    for name, attr in schema.attributes.items():
        value = seen.get(name)
        if value is UNKNOWN and attr.computed:
            seen[name] = prior.get(name)
        elif value is None and attr.default is not None:
            seen[name] = attr.default
    return seen


def _unknown_to_none(value: Any) -> Any:
    if value is UNKNOWN:
        return None
    if isinstance(value, dict):
        return {k: _unknown_to_none(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unknown_to_none(v) for v in value]
    return value


async def _call(fn: Callable[..., Any], *args: Any) -> Any:
    """Run blocking provider code (boto3, subprocesses) off the event loop."""
    result = await asyncio.to_thread(fn, *args)
    if isinstance(result, Awaitable):
        return await result
    return result


def serve(spec: ProviderSpec) -> None:
    """Serve `spec` to Terraform (the launcher's entry point). Blocks until core stops us."""
    from .goplugin import serve as serve_go_plugin
    from .tfplugin6 import pb_grpc

    class Handler(Servicer, pb_grpc.ProviderServicer):  # type: ignore[misc]
        pass

    serve_go_plugin(lambda server: pb_grpc.add_ProviderServicer_to_server(Handler(spec), server))
