"""One warm helper process per apply, instead of a cold Python + boto3 start per key.

Terraform runs `kms-import` once per key and step (the fingerprint data source at plan, the
import step at apply), and each run used to pay ~0.9 s of CPU to import boto3 and build a
client before doing ~0.1 s of work. With many keys that cost is most of an apply.

So `kms-import import|fingerprint|rotate-material` first asks a broker: a server process that
has already imported the helper, botocore and cryptography. The client hands over its
argv, environment, working directory, umask and its stdin/stdout/stderr (SCM_RIGHTS); the
server forks a worker that runs the command exactly as the client would have, writing
straight to Terraform's pipes, and returns the worker's wait status; the client exits with
it (or dies of the same signal). Nothing secret crosses the socket: the material is read by
the worker from its source, as before.

- client.py  the `kms-import` side: find or start the server, hand over, relay signals.
- server.py  listen, fork a worker per request, report exit statuses, exit when idle.
- wire.py    where the socket lives, and the two messages on it.

One server per user, environment and installed helper: the socket's name is a digest of
them, in a 0700 folder of the user's, so a server only ever serves the same user with the same
credentials, endpoints and code it would have started with. It exits after IDLE_S seconds
without work. A killed client takes its worker down (the worker watches its connection), so
killing Terraform's local-exec child stops the import as before. Any failure before a worker
starts falls back to running in-process; KMS_IMPORT_BROKER=0 always does.
"""
