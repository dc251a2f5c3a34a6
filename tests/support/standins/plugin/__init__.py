"""An SDKv2-shaped provider layer on the tfplugin6 wire protocol (pyvider's server and stubs).

Why not pyvider's resource framework: the providers we mirror are terraform-plugin-sdk v2
resources. Their plan/apply semantics (ForceNew from a diff, Default, Computed kept from
prior state, CustomizeDiff, the legacy type system's tolerance, "Read returned nothing ->
drop from state") are easier to mirror exactly on plain Python values than through pyvider's
attrs/cty object model. We reuse pyvider-rpcplugin for the go-plugin handshake (AutoMTLS,
unix socket) and pyvider's generated tfplugin6 stubs; values are decoded from msgpack once,
at the edge (codec.py), so resource code sees only str/int/bool/list/dict/None/UNKNOWN.
"""
