"""The plugin side of HashiCorp go-plugin over gRPC, just what Terraform core uses.

Why not pyvider-rpcplugin's server: importing it pulls in provide.foundation, about 0.5 s of
start-up on a quiet machine, and core starts each provider about three times per plan; the
suite runs hundreds of plans. This module needs only grpcio and `cryptography`, and keeps
the behaviour core relies on (hashicorp/go-plugin server.go, grpc_controller.go):

- handshake line `1|6|unix|<socket>|grpc|<server cert>` on stdout once the server listens;
- automatic mTLS when core sends PLUGIN_CLIENT_CERT: a fresh self-signed server certificate,
  its DER in unpadded base64 as the sixth field. Like pyvider-rpcplugin, the client
  certificate is not verified: core's is ECDSA P-521, which gRPC's BoringSSL refuses for
  client auth; the socket lives in a 0700 folder, so only this user can reach it;
- plugin.GRPCController/Shutdown (answered, then the process exits), grpc.health.v1 Check
  for service "plugin", plugin.GRPCStdio/StreamStdio and plugin.GRPCBroker/StartStream kept
  open and silent;
- SIGINT ignored: a terminal Ctrl-C reaches the whole process group and core decides.
"""

from __future__ import annotations

import asyncio
import base64
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc

# go-plugin's fixed, public handshake value for Terraform providers.
MAGIC_COOKIE_KEY = "TF_PLUGIN_MAGIC_COOKIE"
MAGIC_COOKIE = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2"
# Terraform allows 256 MB messages (internal/plugin6 grpcMaxMessageSize); gRPC's default is 4.
_MAX_MESSAGE = 256 << 20
_HEALTH_SERVING = b"\x08\x01"  # grpc.health.v1.HealthCheckResponse{status: SERVING}

AddToServer = Callable[[grpc.aio.Server], None]


def serve(add_to_server: AddToServer, protocol_version: int = 6) -> None:
    """Serve until core's Shutdown RPC; `add_to_server` registers the provider service."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if os.environ.get(MAGIC_COOKIE_KEY) != MAGIC_COOKIE:
        sys.exit("This is a Terraform provider plugin (test stand-in): Terraform starts it.")
    offered = os.environ.get("PLUGIN_PROTOCOL_VERSIONS", str(protocol_version)).split(",")
    if str(protocol_version) not in offered:
        sys.exit(f"Terraform offered protocols {offered}; this plugin speaks {protocol_version}.")
    asyncio.run(_serve(add_to_server, protocol_version))


async def _serve(add_to_server: AddToServer, protocol_version: int) -> None:
    folder = tempfile.mkdtemp(prefix="tf-standin-")  # 0700: only this user reaches the socket
    socket_path = os.path.join(folder, "plugin.sock")
    stop = asyncio.Event()
    server = grpc.aio.server(
        options=[
            ("grpc.max_receive_message_length", _MAX_MESSAGE),
            ("grpc.max_send_message_length", _MAX_MESSAGE),
        ]
    )
    add_to_server(server)
    server.add_generic_rpc_handlers(_go_plugin_services(stop))
    credentials, cert_field = _tls_for_core()
    address = f"unix:{socket_path}"
    if credentials is None:
        server.add_insecure_port(address)
    else:
        server.add_secure_port(address, credentials)
    await server.start()
    print(f"1|{protocol_version}|unix|{socket_path}|grpc|{cert_field}", flush=True)

    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    # Every RPC has returned once core says Shutdown; let the answer leave, then go at once
    # (a graceful gRPC stop costs ~0.4 s, which core would wait for on every start).
    await asyncio.sleep(0.05)
    shutil.rmtree(folder, ignore_errors=True)
    os._exit(0)


def _go_plugin_services(stop: asyncio.Event) -> list[grpc.GenericRpcHandler]:
    async def shutdown(_request: bytes, _context: Any) -> bytes:
        stop.set()
        return b""  # google.protobuf.Empty

    async def health(_request: bytes, _context: Any) -> bytes:
        return _HEALTH_SERVING

    async def stdio(_request: bytes, _context: Any) -> AsyncIterator[bytes]:
        await stop.wait()  # providers here log to stderr directly; nothing to forward
        return
        yield b""  # pragma: no cover - makes this an async generator

    async def broker(requests: AsyncIterator[bytes], _context: Any) -> AsyncIterator[bytes]:
        async for _ in requests:  # core opens the stream; providers here never dial back
            pass
        return
        yield b""  # pragma: no cover

    def service(name: str, method: str, handler: grpc.RpcMethodHandler) -> grpc.GenericRpcHandler:
        return grpc.method_handlers_generic_handler(name, {method: handler})

    # No (de)serializers: these messages are Empty or fixed bytes.
    return [
        service("plugin.GRPCController", "Shutdown", grpc.unary_unary_rpc_method_handler(shutdown)),
        service("grpc.health.v1.Health", "Check", grpc.unary_unary_rpc_method_handler(health)),
        service("plugin.GRPCStdio", "StreamStdio", grpc.unary_stream_rpc_method_handler(stdio)),
        service("plugin.GRPCBroker", "StartStream", grpc.stream_stream_rpc_method_handler(broker)),
    ]


def _tls_for_core() -> tuple[grpc.ServerCredentials | None, str]:
    """TLS exactly when core asked for it (it sent its certificate), as go-plugin decides."""
    if not os.environ.get("PLUGIN_CLIENT_CERT", "").strip():
        return None, ""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_encipherment=False,
                content_commitment=False,
                data_encipherment=False,
                key_agreement=True,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage(
                [x509.ExtendedKeyUsageOID.SERVER_AUTH, x509.ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    credentials = grpc.ssl_server_credentials([(key_pem, cert_pem)], require_client_auth=False)
    der = cert.public_bytes(serialization.Encoding.DER)
    return credentials, base64.b64encode(der).decode().rstrip("=")
