#!/usr/bin/env python3
"""Check `ledge serve`'s gRPC health checking protocol (grpc.health.v1.Health) with grpcio's own
client (grpcio-health-checking), as Kubernetes' gRPC probes and grpc_health_probe ask it: Check of
the server and of the inference service (SERVING), of an unknown service (NOT_FOUND); with a token
required and health closed, UNAUTHENTICATED without it and SERVING with it; Watch: SERVING at once,
then NOT_SERVING and the end of the stream when the server is told to stop (SIGTERM).

Usage: python scripts/check_grpc_health.py --ledge PATH --model add.onnx

Starts its own servers on 127.0.0.1. Prints one line per check ("ok: ..."); on the first failure
prints "FAIL: <check>: <why>" to stderr and exits 1.
"""
import argparse
import os
import signal
import sys
import time

os.environ.setdefault("GRPC_VERBOSITY", "NONE")

import grpc  # noqa: E402 - after its log level
from grpc_health.v1 import health_pb2, health_pb2_grpc  # noqa: E402

from check_common import GRPCServe, expect, ok, run_steps  # noqa: E402

SERVING, NOT_SERVING = health_pb2.HealthCheckResponse.SERVING, health_pb2.HealthCheckResponse.NOT_SERVING


class Server(GRPCServe):
    def __init__(self, ledge, model, *extra):
        super().__init__(ledge, model, *extra)
        self.health = health_pb2_grpc.HealthStub(self.channel)

    def check(self, service, metadata=()):
        return self.health.Check(health_pb2.HealthCheckRequest(service=service), timeout=10, metadata=metadata).status


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ledge", required=True)
    parser.add_argument("--model", required=True)
    args = parser.parse_args()

    def check():
        server = Server(args.ledge, args.model)
        expect(server.check("") == SERVING, "Check('') is SERVING")
        expect(server.check("inference.GRPCInferenceService") == SERVING, "Check of the inference service is SERVING")
        try:
            server.check("no.such.Service")
            expect(False, "an unknown service is refused")
        except grpc.RpcError as e:
            expect(e.code() == grpc.StatusCode.NOT_FOUND and e.details() == "unknown service 'no.such.Service'", "NOT_FOUND",
                   f"{e.code()} {e.details()}")
        server.kill()
        ok("Check: '' and inference.GRPCInferenceService SERVING, no.such.Service NOT_FOUND (unknown service 'no.such.Service')")

    def token():
        server = Server(args.ledge, args.model, "--auth-token", "s3cret-token-0123456789", "--auth-health", "closed")
        try:
            server.check("")
            expect(False, "a check without the token is refused")
        except grpc.RpcError as e:
            expect(e.code() == grpc.StatusCode.UNAUTHENTICATED, "UNAUTHENTICATED", f"{e.code()} {e.details()}")
        expect(server.check("", metadata=(("authorization", "Bearer s3cret-token-0123456789"),)) == SERVING, "SERVING with the token")
        server.kill()
        open_server = Server(args.ledge, args.model, "--auth-token", "s3cret-token-0123456789")
        expect(open_server.check("") == SERVING, "health open by default: SERVING without the token")
        open_server.kill()
        ok("--auth-token with --auth-health closed: UNAUTHENTICATED without the token, SERVING with it; open by default")

    def watch():
        server = Server(args.ledge, args.model)
        stream = server.health.Watch(health_pb2.HealthCheckRequest(service=""), timeout=30)
        seen = [next(stream).status]
        server.process.send_signal(signal.SIGTERM)
        started = time.time()
        for message in stream:  # ends when the server ends the stream
            seen.append(message.status)
        expect(seen == [SERVING, NOT_SERVING], "Watch: SERVING, then NOT_SERVING at shutdown", str(seen))
        expect(server.process.wait(timeout=30) == 0, "the server exits 0")
        unknown = Server(args.ledge, args.model)
        first = next(unknown.health.Watch(health_pb2.HealthCheckRequest(service="no.such.Service"), timeout=10)).status
        expect(first == health_pb2.HealthCheckResponse.SERVICE_UNKNOWN, "Watch of an unknown service", str(first))
        unknown.kill()
        ok(f"Watch: SERVING at once, NOT_SERVING and the stream's end at SIGTERM ({time.time() - started:.1f} s), exit 0; "
           "an unknown service SERVICE_UNKNOWN")

    return run_steps([("Check", check), ("token", token), ("Watch", watch)], "all gRPC health checks passed")


if __name__ == "__main__":
    sys.exit(main())
