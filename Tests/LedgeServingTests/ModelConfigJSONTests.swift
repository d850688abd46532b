import LedgeCore
import LedgeServing
import Testing

/// Triton's JSON model config (a load request's `config` parameter) read into the same
/// ``ModelConfig`` as the config.pbtxt that says the same, and refused by field path.
@Suite struct ModelConfigJSONTests {
    /// Protobuf's JSON mapping as Triton and tritonclient write it: 64-bit integers as strings,
    /// enum values as strings, maps as objects.
    @Test func theJSONFormReadsAsTheTextForm() throws {
        let json = """
            {"name": "mobilenet", "platform": "onnxruntime_onnx", "backend": "onnxruntime", "max_batch_size": 8,
             "input": [{"name": "input", "data_type": "TYPE_FP32", "dims": ["3", "224", "224"]}],
             "output": [{"name": "output", "data_type": "TYPE_FP32", "dims": [1000]}, {"name": "extra", "data_type": "TYPE_INT64", "dims": ["-1"]}],
             "dynamic_batching": {"preferred_batch_size": [4, 8], "max_queue_delay_microseconds": "100",
                                  "default_queue_policy": {"timeout_action": "REJECT", "default_timeout_microseconds": "5000", "allow_timeout_override": true},
                                  "priority_levels": "2", "default_priority_level": "2",
                                  "priority_queue_policy": {"1": {"max_queue_size": 4, "default_timeout_microseconds": "100"}}},
             "instance_group": [{"count": 2, "kind": "KIND_CPU"}, {"count": 1}],
             "version_policy": {"latest": {"num_versions": 2}},
             "parameters": {"threads": {"string_value": "2"}, "uri": {"string_value": "s3://bucket/m"}},
             "model_warmup": [{"name": "zeros", "batch_size": 2, "count": 3,
                               "inputs": {"a": {"data_type": "TYPE_FP32", "dims": ["4"], "zero_data": true}}}],
             "sequence_batching": null}
            """
        let text = """
            name: "mobilenet" platform: "onnxruntime_onnx" backend: "onnxruntime" max_batch_size: 8
            input { name: "input" data_type: TYPE_FP32 dims: [3, 224, 224] }
            output [{ name: "output" data_type: TYPE_FP32 dims: 1000 }, { name: "extra" data_type: TYPE_INT64 dims: -1 }]
            dynamic_batching {
              preferred_batch_size: [4, 8] max_queue_delay_microseconds: 100
              default_queue_policy { timeout_action: REJECT default_timeout_microseconds: 5000 allow_timeout_override: true }
              priority_levels: 2 default_priority_level: 2
              priority_queue_policy { key: 1 value { max_queue_size: 4 default_timeout_microseconds: 100 } }
            }
            instance_group [{ count: 2 kind: KIND_CPU }, { count: 1 }]
            version_policy { latest { num_versions: 2 } }
            parameters { key: "threads" value { string_value: "2" } }
            parameters { key: "uri" value { string_value: "s3://bucket/m" } }
            model_warmup { name: "zeros" batch_size: 2 count: 3 inputs { key: "a" value { data_type: TYPE_FP32 dims: 4 zero_data: true } } }
            """
        #expect(try ModelConfigJSON.config(json) == ModelConfig.parse(text, file: "config.pbtxt"))
    }

    @Test(arguments: [
        ("[1]", "load parameter 'config' is no JSON object: expected Triton's model configuration as JSON"),
        ("{", "load parameter 'config' is no JSON object: expected Triton's model configuration as JSON"),
        (
            #"{"optimization": {}}"#,
            "load parameter 'config': field 'optimization' is not supported by ledge: expected one of name, platform, backend, max_batch_size, input, output, dynamic_batching, instance_group, version_policy, parameters, model_warmup, default_model_filename"
        ),
        (#"{"max_batch_size": "x"}"#, "load parameter 'config': max_batch_size: expected an integer from 0 to 2147483647, found string \"x\""),
        (#"{"max_batch_size": -1}"#, "load parameter 'config': max_batch_size: -1 is out of range: expected an integer from 0 to 2147483647"),
        (
            #"{"instance_group": [{"kind": "KIND_GPU"}]}"#,
            "load parameter 'config': instance_group[0].kind KIND_GPU is not supported by ledge: expected KIND_CPU (Ledge runs models on the CPU)"
        ),
        (
            #"{"parameters": {"opt": {"string_value": "1"}}}"#,
            "load parameter 'config': parameters key 'opt' is not supported by ledge: expected threads, intra_op_thread_count or uri"
        ),
    ])
    func aBadConfigIsRefusedByItsField(json: String, message: String) {
        #expect(throws: LedgeError.invalidInput(message)) { try ModelConfigJSON.config(json) }
    }
}
