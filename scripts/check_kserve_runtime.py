#!/usr/bin/env python3
"""Check `ledge deploy k8s --storage-uri` the way KServe would use it, without a cluster.

Usage: $LEDGE_HOME/venv-kserve/bin/python scripts/check_kserve_runtime.py --manifests DIR \
           --ledge .build/debug/ledge --scratch DIR [--wait S]

DIR holds what `ledge deploy k8s --storage-uri URI -o DIR` wrote: servingruntime.yaml (with
--cluster-runtime clusterservingruntime.yaml) and inferenceservice.yaml. Runs in the kserve venv
(scripts/requirements-kserve.txt), with KServe's own code for each step:
  1. Both files are read into KServe's API types (kserve 0.21.0's V1alpha1ServingRuntime or
     V1alpha1ClusterServingRuntime, and V1beta1InferenceService, with the Kubernetes client's
     types inside): every field must be one the type declares, with a value of its type. The
     InferenceService must name the runtime, a format it supports and a protocol it speaks.
  2. KServe's storage initializer (kserve-storage 0.21.0, `Storage.download`) fetches the
     InferenceService's storageUri into SCRATCH/mnt/models, as its init container does.
  3. The runtime container's command and args run as KServe runs them: `{{.Name}}` replaced by the
     InferenceService's name, /mnt/models by SCRATCH/mnt/models, /usr/bin/ledge by --ledge, the
     0.0.0.0 host by 127.0.0.1 (test traffic stays on loopback), its port by a free one; HOME in SCRATCH.
  4. The probes' paths answer 200 (startup, readiness, liveness), the metrics path of the
     runtime's prometheus.kserve.io annotations answers, and KServe's InferenceRESTClient infers
     on the model under the InferenceService's name: add.onnx's sum, exactly a + b. The model's
     metadata versions are printed.
  5. SIGTERM: the server exits 0.

Prints one line per check ("ok: ..."); a failed check prints "FAIL: <check>: <why>" to stderr and
exits 1. Every wait is bounded (--wait).
"""
import argparse
import asyncio
import json
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import httpx
import kserve
import kubernetes.client.models as kubernetes_models
import numpy as np
import yaml
from kserve import InferenceRESTClient, RESTConfig
from kserve.protocol.infer_type import InferInput, InferRequest

from check_common import CheckFailed, expect, ok

PRIMITIVES = {"str": str, "int": int, "bool": bool, "float": (int, float)}


def api_type(name):
    """A class of KServe's SDK or of the Kubernetes client it embeds."""
    cls = getattr(kserve, name, None) or getattr(kubernetes_models, name, None)
    expect(cls is not None, "api types", f"no type {name} in kserve or kubernetes.client")
    return cls


def conform(value, type_name, where, counted):
    """Fails unless `value` (parsed YAML) fits `type_name` of the SDK, field by field."""
    counted[0] += 1
    listed = re.fullmatch(r"[Ll]ist\[(.+)\]", type_name)
    mapped = re.fullmatch(r"[Dd]ict[(\[]str, (.+)[)\]]", type_name)
    if listed:
        expect(isinstance(value, list), where, f"expected a list ({type_name}), got {value!r}")
        for i, item in enumerate(value):
            conform(item, listed[1], f"{where}[{i}]", counted)
    elif mapped:
        expect(isinstance(value, dict), where, f"expected a map ({type_name}), got {value!r}")
        for key, item in value.items():
            conform(item, mapped[1], f"{where}.{key}", counted)
    elif type_name in PRIMITIVES:
        fits = isinstance(value, PRIMITIVES[type_name]) and not (type_name != "bool" and isinstance(value, bool))
        expect(fits, where, f"expected {type_name}, got {value!r}")
    elif type_name == "ResourceQuantity":
        expect(isinstance(value, (str, int)) and not isinstance(value, bool), where, f"expected a quantity, got {value!r}")
    elif type_name == "object":
        return  # int-or-string and free-form fields
    else:
        cls = api_type(type_name)
        expect(isinstance(value, dict), where, f"expected a map ({type_name}), got {value!r}")
        fields = {json_key: attribute for attribute, json_key in cls.attribute_map.items()}
        for key, item in value.items():
            expect(key in fields, where, f"{type_name} has no field {key!r}")
            conform(item, cls.openapi_types[fields[key]], f"{where}.{key}", counted)


def load(folder, name, type_name, kind):
    with open(os.path.join(folder, name)) as f:
        document = yaml.safe_load(f)
    expect(document.get("kind") == kind, name, f"expected kind {kind}, got {document.get('kind')!r}")
    counted = [0]
    conform(document, type_name, name, counted)
    ok(f"{name}: a {type_name} of kserve's API ({counted[0]} values checked)")
    return document


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def substituted(words, name, models, ledge, port, runtime_port):
    out = []
    for word in words:
        word = word.replace("{{.Name}}", name)
        if word == "/mnt/models":
            word = models
        elif word == "/usr/bin/ledge":
            word = ledge
        elif word == "0.0.0.0":
            word = "127.0.0.1"
        elif word == str(runtime_port):
            word = str(port)
        out.append(word)
    return out


def get(url, timeout):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    except OSError:
        return None, ""


async def infer_add(url, model, timeout):
    client = InferenceRESTClient(RESTConfig(protocol="v2", timeout=timeout, transport=httpx.AsyncHTTPTransport(retries=0)))
    a = np.array([[1, 2, 3, 4], [5, 6, 7, 8]], dtype=np.float32)
    b = np.array([[0.5, 0.25, 0.125, 0.0625], [1, 1, 1, 1]], dtype=np.float32)
    inputs = []
    for name, x in (("a", a), ("b", b)):
        tensor = InferInput(name, list(x.shape), "FP32")
        tensor.set_data_from_numpy(x)
        inputs.append(tensor)
    result = await asyncio.wait_for(client.infer(url, InferRequest(model, inputs), model_name=model), timeout + 5)
    expect(result.model_name == model, "infer model_name", f"expected {model!r}, got {result.model_name!r}")
    total = np.array(result.outputs[0].data, dtype=np.float32).reshape(result.outputs[0].shape)
    expect(np.array_equal(total, a + b), "infer", f"expected {(a + b).tolist()}, got {total.tolist()}")
    ok(f"infer({model}) through KServe's InferenceRESTClient: FP32 {list(total.shape)}, exactly a + b")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--manifests", required=True)
    parser.add_argument("--ledge", required=True)
    parser.add_argument("--scratch", required=True)
    parser.add_argument("--wait", type=float, default=60)
    args = parser.parse_args()
    logging.getLogger("kserve").setLevel(logging.WARNING)
    from kserve_storage import Storage, logger as storage_logger
    storage_logger.setLevel(logging.WARNING)

    kind = "ClusterServingRuntime" if os.path.exists(os.path.join(args.manifests, "clusterservingruntime.yaml")) else "ServingRuntime"
    runtime = load(args.manifests, kind.lower() + ".yaml", "V1alpha1" + kind, kind)
    expect(kind == "ServingRuntime" or "namespace" not in runtime["metadata"], kind, "a cluster-scoped object has no namespace")
    service = load(args.manifests, "inferenceservice.yaml", "V1beta1InferenceService", "InferenceService")
    name = service["metadata"]["name"]
    model = service["spec"]["predictor"]["model"]
    spec = runtime["spec"]
    expect(model["runtime"] == runtime["metadata"]["name"], "runtime", f"{model['runtime']!r} is not {runtime['metadata']['name']!r}")
    formats = [f["name"] for f in spec["supportedModelFormats"]]
    expect(model["modelFormat"]["name"] in formats, "modelFormat", f"{model['modelFormat']['name']!r} not in {formats}")
    expect(model["protocolVersion"] in spec["protocolVersions"], "protocolVersion",
           f"{model['protocolVersion']!r} not in {spec['protocolVersions']}")
    ok(f"InferenceService {name}: runtime {model['runtime']}, format {model['modelFormat']['name']} of {formats}, "
       f"protocol {model['protocolVersion']} of {spec['protocolVersions']}")

    models = os.path.join(args.scratch, "mnt", "models")
    Storage.download(model["storageUri"], out_dir=models)
    files = sorted(os.path.relpath(os.path.join(root, f), models) for root, _, names in os.walk(models) for f in names)
    ok(f"storage initializer: {model['storageUri'].rsplit('/', 1)[-1]} -> /mnt/models: {', '.join(files)}")

    container = spec["containers"][0]
    runtime_port = container["ports"][0]["containerPort"]
    port = free_port()
    command = substituted(container["command"] + container.get("args", []), name, models, args.ledge, port, runtime_port)
    home = os.path.join(args.scratch, "home")
    os.makedirs(home, exist_ok=True)
    log = open(os.path.join(args.scratch, "server.log"), "w+")
    server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "HOME": home})
    try:
        base = f"http://127.0.0.1:{port}"
        probe = container["startupProbe"]
        deadline = time.monotonic() + min(args.wait, probe["periodSeconds"] * probe["failureThreshold"])
        while get(base + probe["httpGet"]["path"], 2)[0] != 200:
            expect(server.poll() is None, "server", f"exited with {server.returncode}: {open(log.name).read()}")
            expect(time.monotonic() < deadline, "startup probe", f"{probe['httpGet']['path']} not 200 in time")
            time.sleep(0.1)
        for kind in ("readinessProbe", "livenessProbe"):
            status, _ = get(base + container[kind]["httpGet"]["path"], 5)
            expect(status == 200, kind, f"{container[kind]['httpGet']['path']} answered {status}")
        ok("startup, readiness and liveness probes: 200")
        metrics = spec["annotations"]["prometheus.kserve.io/path"]
        status, text = get(base + metrics, 5)
        expect(status == 200 and f'model="{name}"' in text, "metrics", f"{metrics} answered {status} without model=\"{name}\"")
        ok(f"{metrics} on the annotated port: the model's series")
        status, text = get(base + f"/v2/models/{name}", 5)
        expect(status == 200, "metadata", f"answered {status}: {text}")
        meta = json.loads(text)
        ok(f"model metadata: name {meta['name']}, platform {meta['platform']}, versions {meta['versions']}")
        asyncio.run(infer_add(base, name, args.wait))
        server.send_signal(signal.SIGTERM)
        code = server.wait(timeout=args.wait)
        expect(code == 0, "SIGTERM", f"exit status {code}: {open(log.name).read()}")
        ok("SIGTERM: exit 0")
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        log.close()
    print("all kserve runtime checks passed")


if __name__ == "__main__":
    try:
        main()
    except CheckFailed as error:
        print(f"FAIL: {error}", file=sys.stderr)
        sys.exit(1)
