"""Prepares docs/openapi-v2.yaml for Schemathesis against a running `ledge serve`.

Usage: fuzz_openapi.py SOURCE TARGET BASE_URL NAME...

- The model_name / model_version path parameters become enums of the served names and "1".
- For each served model, from its live metadata (GET /v2/models/NAME), one more operation
  POST /v2/models/NAME/infer whose request body fits that model, with a valid example
  (batch 1) so the 200 answer and its conformance are tested too, not only the 4xx.
  Small models (at most 64 values in all) get a schema Hypothesis can fill with valid
  tensors; larger ones keep the protocol's loose schema besides their example.

Run by scripts/run_schemathesis.sh with the venv-fuzz interpreter (PyYAML, requests).
"""

import copy
import math
import sys

import requests
import yaml

SMALL = 64
INTEGER_RANGES = {
    "UINT8": (0, 2**8 - 1), "UINT16": (0, 2**16 - 1), "UINT32": (0, 2**32 - 1), "UINT64": (0, 2**64 - 1),
    "INT8": (-(2**7), 2**7 - 1), "INT16": (-(2**15), 2**15 - 1), "INT32": (-(2**31), 2**31 - 1),
    "INT64": (-(2**63), 2**63 - 1),
}


def value_schema(datatype):
    if datatype == "BOOL":
        return {"type": "boolean"}
    if datatype in INTEGER_RANGES:
        low, high = INTEGER_RANGES[datatype]
        return {"type": "integer", "minimum": low, "maximum": high}
    return {"type": "number"}


def example_value(datatype, index):
    if datatype == "BOOL":
        return index % 2 == 0
    if datatype in INTEGER_RANGES:
        return index % 100
    return (index % 7) * 0.5


def model_operation(name, metadata, template):
    tensors = [(t["name"], t["datatype"], [1 if d < 0 else d for d in t["shape"]]) for t in metadata["inputs"]]
    total = sum(math.prod(shape) for _, _, shape in tensors)
    example = {
        "id": f"schemathesis-{name}",
        "inputs": [
            {"name": n, "datatype": dt, "shape": shape,
             "data": [example_value(dt, i) for i in range(math.prod(shape))]}
            for n, dt, shape in tensors
        ],
        "outputs": [{"name": t["name"]} for t in metadata["outputs"]],
    }
    if total <= SMALL:
        inputs = [
            {
                "type": "object",
                "required": ["name", "datatype", "shape", "data"],
                "properties": {
                    "name": {"type": "string", "enum": [n]},
                    "datatype": {"type": "string", "enum": [dt]},
                    "shape": {"type": "array", "items": {"type": "integer"}, "enum": [shape]},
                    "data": {"type": "array", "items": value_schema(dt),
                             "minItems": math.prod(shape), "maxItems": math.prod(shape)},
                },
                "additionalProperties": False,
            }
            for n, dt, shape in tensors
        ]
        schema = {
            "type": "object",
            "required": ["inputs"],
            "properties": {
                "id": {"type": "string"},
                "inputs": {"type": "array", "items": {"anyOf": inputs},
                           "minItems": len(inputs), "maxItems": len(inputs)},
                "outputs": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["name"],
                        "properties": {
                            "name": {"type": "string", "enum": [t["name"] for t in metadata["outputs"]]},
                            "parameters": {"type": "object", "properties": {"binary_data": {"type": "boolean"}},
                                           "additionalProperties": False},
                        },
                        "additionalProperties": False,
                    },
                },
            },
            "additionalProperties": False,
        }
    else:
        schema = {"$ref": "#/components/schemas/InferenceRequest"}
    operation = copy.deepcopy(template)
    operation["operationId"] = f"infer_{name}"
    operation["summary"] = f"Run the served model '{name}'"
    operation["requestBody"] = {
        "required": True,
        "content": {"application/json": {"schema": schema, "examples": {"valid": {"value": example}}}},
    }
    return operation


def main():
    source, target, base, names = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
    doc = yaml.safe_load(open(source))
    enums = {"model_name": names, "model_version": ["1"]}

    def rewrite(parameters):
        for parameter in parameters:
            if parameter.get("in") == "path" and parameter.get("name") in enums:
                parameter["schema"] = {"type": "string", "enum": enums[parameter["name"]]}

    rewrite(doc.get("components", {}).get("parameters", {}).values())
    for item in doc["paths"].values():
        rewrite(p for p in item.get("parameters", []) if "$ref" not in p)
        for operation in item.values():
            if isinstance(operation, dict):
                rewrite(p for p in operation.get("parameters", []) if "$ref" not in p)

    template = doc["paths"]["/v2/models/{model_name}/infer"]["post"]
    for name in names:
        response = requests.get(f"{base}/v2/models/{name}", timeout=30)
        response.raise_for_status()
        doc["paths"][f"/v2/models/{name}/infer"] = {"post": model_operation(name, response.json(), template)}
    with open(target, "w") as out:
        yaml.safe_dump(doc, out, sort_keys=False)


if __name__ == "__main__":
    main()
