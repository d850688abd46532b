"""Shared by the live client checks (check_tritonclient.py, check_grpc.py, check_shared_memory.py, …): one line per check."""


class CheckFailed(Exception):
    pass


def expect(condition, what, detail=""):
    if not condition:
        raise CheckFailed(f"{what}: {detail}" if detail else what)


def ok(line):
    print(f"ok: {line}", flush=True)


def protocol_arguments(doc, *options):
    """The command line of a check run once per protocol: --protocol (http or grpc), --url and
    each of `options` (required), with the first paragraph of `doc` as its description."""
    import argparse
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--protocol", choices=["http", "grpc"], required=True)
    parser.add_argument("--url", required=True)
    for option in options:
        parser.add_argument(f"--{option}", required=True)
    return parser.parse_args()


def triton_client(protocol, url):
    """The tritonclient module of `protocol` (http or grpc) and a client of it for `url`."""
    if protocol == "http":
        import tritonclient.http as module
    else:
        import tritonclient.grpc as module
    return module, module.InferenceServerClient(url=url)


class ProtocolChecks:
    """The base of a check run once per protocol: the tritonclient module and client of `args.protocol`
    for `args.url`, and the refusals the client raises."""

    # The status each client gives an error (InferenceServerException.status()), by gRPC code.
    STATUS = {"http": {"INVALID_ARGUMENT": "400", "UNAVAILABLE": "503"},
              "grpc": {"INVALID_ARGUMENT": "StatusCode.INVALID_ARGUMENT", "UNAVAILABLE": "StatusCode.UNAVAILABLE"}}

    def __init__(self, args):
        self.args = args
        self.protocol = args.protocol
        self.module, self.client = triton_client(args.protocol, args.url)

    def refusal(self, what, call, code, message):
        """Runs `call`, expecting the client's exception with `code` (INVALID_ARGUMENT, UNAVAILABLE) and
        `message`: its words for an "ok" line."""
        from tritonclient.utils import InferenceServerException
        status = self.STATUS[self.protocol][code]
        try:
            call()
        except InferenceServerException as e:
            expect(e.status() == status and e.message() == message, what, f"got {e.status()} {e.message()!r}")
            return f"InferenceServerException {e.status()} \"{e.message()}\""
        raise CheckFailed(f"{what}: answered, expected a refusal")


def wait_for_peer_close(sock, seconds):
    """Waits at most `seconds` for the peer's end of a TCP connection, its FIN or a reset, read from
    TCP_INFO's state (CLOSE_WAIT or CLOSE): the socket's end, which over TLS may come after the TLS
    session's (close_notify). Whether it came."""
    import socket
    import time
    deadline = time.monotonic() + seconds
    while sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 1)[0] not in (7, 8):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.01)
    return True


def run_steps(steps, passed):
    """Runs (label, step) in order: the first failure is one "FAIL: ..." line on stderr and exit
    status 1; when all pass, prints `passed` and returns 0."""
    import sys
    for label, step in steps:
        try:
            step()
        except CheckFailed as e:
            print(f"FAIL: {e}", file=sys.stderr)
            return 1
        except Exception as e:  # a client or connection error fails the check in progress, on one line
            print(f"FAIL: {label}: {type(e).__name__}: {e}".replace("\n", " "), file=sys.stderr)
            return 1
    print(passed)
    return 0


def reference(fixtures, case, role):
    """The tensors of reference case `case` (`inputs` or `outputs`) in FIXTURES/reference/manifest.json."""
    import json
    import os
    import numpy as np
    folder = os.path.join(fixtures, "reference")
    with open(os.path.join(folder, "manifest.json")) as f:
        tensors = json.load(f)["cases"][case][role]
    return [np.fromfile(os.path.join(folder, t["file"]), dtype=np.dtype(t["dtype"]).newbyteorder("<")).reshape(t["shape"])
            for t in tensors]


def started_output(process, pattern, seconds=60):
    """Reads `process`'s standard output until `pattern` (a regular expression) matches what it
    printed, for at most `seconds`: the match, else a failed check with what it printed (and its
    standard error, when it ended)."""
    import re
    import select
    import time
    deadline, out = time.time() + seconds, ""
    while time.time() < deadline and not re.search(pattern, out):
        ready, _, _ = select.select([process.stdout], [], [], 1)
        if ready:
            line = process.stdout.readline()
            if not line:
                break
            out += line
    match = re.search(pattern, out)
    expect(match, "ledge serve did not print its port", out + (process.stderr.read() if process.poll() is not None else ""))
    return match



class GRPCServe:
    """`ledge serve -m MODEL --name add` on free loopback ports (gRPC's too), killed at exit: its
    process, its gRPC port and a grpcio channel to it."""

    def __init__(self, ledge, model, *extra):
        import atexit
        import subprocess
        import grpc
        self.process = subprocess.Popen(
            [ledge, "serve", "-m", model, "--name", "add", "--no-probe", "--port", "0", "--grpc-port", "0", "--log-level", "warning",
             *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        atexit.register(self.kill)
        self.port = int(started_output(self.process, r"gRPC[^\n]*127\.0\.0\.1:(\d+)").group(1))
        self.channel = grpc.insecure_channel(f"127.0.0.1:{self.port}")

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def grpc_add_inputs(a, b):
    """tritonclient.grpc inputs `a` and `b` (FP32) of add.onnx."""
    import tritonclient.grpc as grpcclient
    tensors = []
    for name, values in (("a", a), ("b", b)):
        tensor = grpcclient.InferInput(name, list(values.shape), "FP32")
        tensor.set_data_from_numpy(values)
        tensors.append(tensor)
    return tensors
