#!/usr/bin/env python3
"""Check `ledge serve`'s gRPC server reflection with grpcio's own reflection client
(grpcio-reflection, v1alpha) as grpcurl and Postman use it: the services listed; the inference
service described, and every field of its messages the same (name, number, type) as in
tritonclient's own compiled grpc_service.proto and model_config.proto (the config's messages); a call built only from the reflected descriptors
(ServerMetadata, and ModelInfer of add.onnx: a + b); the v1 service on one stream — answers in
order, the request echoed, an unknown symbol an error_response (NOT_FOUND) with the stream still
open; with --auth-token, UNAUTHENTICATED without the token; with --no-grpc-reflection, UNIMPLEMENTED.

Usage: python scripts/check_grpc_reflection.py --ledge PATH --model add.onnx

Starts its own servers on 127.0.0.1. Prints one line per check ("ok: ..."); on the first failure
prints "FAIL: <check>: <why>" to stderr and exits 1.
"""
import argparse
import os
import struct
import sys

os.environ.setdefault("GRPC_VERBOSITY", "NONE")

import grpc  # noqa: E402 - after its log level
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory  # noqa: E402
from grpc_reflection.v1alpha import reflection_pb2  # noqa: E402
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase  # noqa: E402
from tritonclient.grpc import model_config_pb2, service_pb2  # noqa: E402

from check_common import GRPCServe as Server, expect, ok, run_steps  # noqa: E402

SERVICES = ["grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection",
            "inference.GRPCInferenceService"]
TOKEN = "s3cret-token-0123456789"


def fields(message):
    return {f.name: (f.number, f.type, f.is_repeated, f.message_type.full_name if f.message_type else None) for f in message.fields}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ledge", required=True)
    parser.add_argument("--model", required=True)
    args = parser.parse_args()
    server = Server(args.ledge, args.model)
    found = {}  # what the describe step reflected, for the next ones

    def describe():
        database = ProtoReflectionDescriptorDatabase(server.channel)
        services = sorted(database.get_services())
        expect(services == SERVICES, "the services listed", str(services))
        pool = descriptor_pool.DescriptorPool(database)
        inference = pool.FindServiceByName("inference.GRPCInferenceService")
        methods = [m.name for m in inference.methods]
        triton = service_pb2.DESCRIPTOR.services_by_name["GRPCInferenceService"]
        expect(set(methods) <= {m.name for m in triton.methods} and len(methods) == 20, "the methods are Triton's", str(methods))
        stream = inference.methods_by_name["ModelStreamInfer"]
        expect(stream.client_streaming and stream.server_streaming, "ModelStreamInfer streams both ways")
        compared = 0
        triton_messages = {**service_pb2.DESCRIPTOR.message_types_by_name, **model_config_pb2.DESCRIPTOR.message_types_by_name}
        for name, triton_message in triton_messages.items():
            try:
                ours = pool.FindMessageTypeByName("inference." + name)
            except KeyError:
                continue
            theirs = fields(triton_message)
            for field, shape in fields(ours).items():
                expect(theirs.get(field) == shape, f"inference.{name}.{field} is tritonclient's", f"{shape} against {theirs.get(field)}")
            compared += 1
        expect(compared >= 30, "most messages compared", str(compared))
        health = pool.FindServiceByName("grpc.health.v1.Health")
        expect([m.name for m in health.methods] == ["Check", "Watch"], "the health service described")
        ok(f"list: {', '.join(services)}; inference.GRPCInferenceService's {len(methods)} methods and the fields of {compared} "
           "messages as tritonclient's grpc_service.proto and model_config.proto have them; grpc.health.v1.Health (Check, Watch)")
        found["pool"] = pool

    def call():
        pool = found["pool"]
        metadata_request = message_factory.GetMessageClass(pool.FindMessageTypeByName("inference.ServerMetadataRequest"))
        metadata_response = message_factory.GetMessageClass(pool.FindMessageTypeByName("inference.ServerMetadataResponse"))
        metadata = server.channel.unary_unary(
            "/inference.GRPCInferenceService/ServerMetadata", request_serializer=lambda m: m.SerializeToString(),
            response_deserializer=metadata_response.FromString)(metadata_request(), timeout=10)
        expect(metadata.name == "ledge", "ServerMetadata by reflection", str(metadata))
        infer_request = message_factory.GetMessageClass(pool.FindMessageTypeByName("inference.ModelInferRequest"))
        infer_response = message_factory.GetMessageClass(pool.FindMessageTypeByName("inference.ModelInferResponse"))
        request = infer_request(model_name="add")
        for name, values in [("a", [1.0, 2.0, 3.0, 4.0]), ("b", [0.5, 0.25, 0.125, 0.0625])]:
            tensor = request.inputs.add(name=name, datatype="FP32", shape=[1, 4])
            request.raw_input_contents.append(struct.pack("<4f", *values))
            expect(tensor.name == name, "an input built")
        answer = server.channel.unary_unary(
            "/inference.GRPCInferenceService/ModelInfer", request_serializer=lambda m: m.SerializeToString(),
            response_deserializer=infer_response.FromString)(request, timeout=10)
        values = list(struct.unpack("<4f", answer.raw_output_contents[0]))
        expect(values == [1.5, 2.25, 3.125, 4.0625], "ModelInfer by reflection: a + b", str(values))
        ok(f"calls from the reflected descriptors alone: ServerMetadata (name {metadata.name}), ModelInfer of add: {values}")

    def v1_stream():
        requests = [
            reflection_pb2.ServerReflectionRequest(host="h", list_services=""),
            reflection_pb2.ServerReflectionRequest(file_containing_symbol="inference.GRPCInferenceService.ModelInfer"),
            reflection_pb2.ServerReflectionRequest(file_containing_symbol="no.such.Message"),
            reflection_pb2.ServerReflectionRequest(file_by_filename="grpc/health/v1/health.proto"),
            reflection_pb2.ServerReflectionRequest(file_containing_extension={"containing_type": "inference.ModelInferRequest",
                                                                              "extension_number": 100}),
        ]
        info = server.channel.stream_stream(
            "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo", request_serializer=lambda m: m.SerializeToString(),
            response_deserializer=reflection_pb2.ServerReflectionResponse.FromString)
        answers = list(info(iter(requests), timeout=10))
        expect(len(answers) == len(requests), "one answer per request", str(len(answers)))
        expect([a.original_request for a in answers] == requests, "each answer echoes its request, in order")
        expect(answers[0].valid_host == "h", "valid_host", answers[0].valid_host)
        expect(sorted(s.name for s in answers[0].list_services_response.service) == SERVICES, "v1 lists the services")
        file = descriptor_pb2.FileDescriptorProto.FromString(answers[1].file_descriptor_response.file_descriptor_proto[0])
        expect(file.name == "grpc_service.proto" and file.package == "inference", "the file of ModelInfer", file.name)
        error = answers[2].error_response
        expect((error.error_code, error.error_message) == (5, "unknown symbol 'no.such.Message'"), "an unknown symbol", str(error))
        health = descriptor_pb2.FileDescriptorProto.FromString(answers[3].file_descriptor_response.file_descriptor_proto[0])
        expect(health.package == "grpc.health.v1" and [s.name for s in health.service] == ["Health"], "health.proto by name")
        error = answers[4].error_response
        expect(error.error_code == 5 and "declare no extensions" in error.error_message, "no extensions", str(error))
        ok("grpc.reflection.v1 on one stream: 5 answers in order, each echoing its request; no.such.Message NOT_FOUND "
           f"({answers[2].error_response.error_message}), the stream still answering; health.proto by file name")

    def token():
        guarded = Server(args.ledge, args.model, "--auth-token", TOKEN)
        info = guarded.channel.stream_stream(
            "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", request_serializer=lambda m: m.SerializeToString(),
            response_deserializer=reflection_pb2.ServerReflectionResponse.FromString)
        request = reflection_pb2.ServerReflectionRequest(list_services="")
        try:
            list(info(iter([request]), timeout=10))
            expect(False, "reflection without the token is refused")
        except grpc.RpcError as e:
            expect(e.code() == grpc.StatusCode.UNAUTHENTICATED, "UNAUTHENTICATED", f"{e.code()} {e.details()}")
        answers = list(info(iter([request]), timeout=10, metadata=(("authorization", "Bearer " + TOKEN),)))
        expect(len(answers[0].list_services_response.service) == 4, "the services with the token")
        guarded.kill()
        ok("--auth-token: reflection UNAUTHENTICATED without the token, the services listed with it")

    def turned_off():
        quiet = Server(args.ledge, args.model, "--no-grpc-reflection")
        for version in ["v1", "v1alpha"]:
            info = quiet.channel.stream_stream(
                f"/grpc.reflection.{version}.ServerReflection/ServerReflectionInfo", request_serializer=lambda m: m.SerializeToString(),
                response_deserializer=reflection_pb2.ServerReflectionResponse.FromString)
            try:
                list(info(iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=10))
                expect(False, f"{version} is off with --no-grpc-reflection")
            except grpc.RpcError as e:
                expect(e.code() == grpc.StatusCode.UNIMPLEMENTED, "UNIMPLEMENTED", f"{e.code()} {e.details()}")
        live = quiet.channel.unary_unary("/inference.GRPCInferenceService/ServerLive", request_serializer=lambda m: m,
                                         response_deserializer=lambda b: b)(b"", timeout=10)
        expect(live == b"\x08\x01", "ServerLive still answers", repr(live))
        quiet.kill()
        ok("--no-grpc-reflection: v1 and v1alpha UNIMPLEMENTED, the inference service still answering")

    return run_steps([("describe", describe), ("call", call), ("v1", v1_stream), ("token", token), ("off", turned_off)],
                     "all gRPC reflection checks passed")


if __name__ == "__main__":
    sys.exit(main())
