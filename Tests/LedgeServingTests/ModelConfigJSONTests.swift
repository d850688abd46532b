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

    /// protobuf's JSON names (what `MessageToJson` writes, and its parsers read beside the fields' own).
    @Test func lowerCamelCaseNamesReadAsTheFields() throws {
        let json = """
            {"maxBatchSize": 4, "input": [{"name": "a", "dataType": "TYPE_FP32", "dims": ["4"], "isShapeTensor": false}],
             "dynamicBatching": {"maxQueueDelayMicroseconds": "100", "defaultQueuePolicy": {"allowTimeoutOverride": true}},
             "instanceGroup": [{"count": 1, "kind": "KIND_CPU"}], "parameters": {"intraOpThreadCount": {"stringValue": "2"}},
             "modelWarmup": [{"name": "w", "batchSize": 1, "inputs": {"inputA": {"dataType": "TYPE_FP32", "dims": [4], "zeroData": true}}}]}
            """
        let text = """
            max_batch_size: 4 input { name: "a" data_type: TYPE_FP32 dims: 4 }
            dynamic_batching { max_queue_delay_microseconds: 100 default_queue_policy { allow_timeout_override: true } }
            instance_group { count: 1 kind: KIND_CPU } parameters { key: "intraOpThreadCount" value { string_value: "2" } }
            model_warmup { name: "w" batch_size: 1 inputs { key: "inputA" value { data_type: TYPE_FP32 dims: 4 zero_data: true } } }
            """
        #expect(try ModelConfigJSON.config(json) == ModelConfig.parse(text, file: "config.pbtxt"))
    }

    /// Enum values by number, as protobuf's JSON (and text) parsers take them beside their names.
    @Test func enumNumbersReadAsTheirNames() throws {
        let json = """
            {"max_batch_size": 4, "input": [{"name": "a", "data_type": 11, "format": 2, "dims": [4]}],
             "output": [{"name": "sum", "data_type": "11", "dims": [4]}], "instance_group": [{"count": 1, "kind": 2}],
             "dynamic_batching": {"default_queue_policy": {"timeout_action": 1, "default_timeout_microseconds": 500}},
             "model_warmup": [{"name": "w", "batch_size": 1, "inputs": {"a": {"data_type": 11, "dims": [4], "zero_data": true}}}]}
            """
        let text = """
            max_batch_size: 4 input { name: "a" data_type: TYPE_FP32 format: FORMAT_NCHW dims: 4 }
            output { name: "sum" data_type: TYPE_FP32 dims: 4 } instance_group { count: 1 kind: KIND_CPU }
            dynamic_batching { default_queue_policy { timeout_action: DELAY default_timeout_microseconds: 500 } }
            model_warmup { name: "w" batch_size: 1 inputs { key: "a" value { data_type: TYPE_FP32 dims: 4 zero_data: true } } }
            """
        let numbered = """
            max_batch_size: 4 input { name: "a" data_type: 11 format: 2 dims: 4 }
            output { name: "sum" data_type: 11 dims: 4 } instance_group { count: 1 kind: 2 }
            dynamic_batching { default_queue_policy { timeout_action: 1 default_timeout_microseconds: 500 } }
            model_warmup { name: "w" batch_size: 1 inputs { key: "a" value { data_type: 11 dims: 4 zero_data: true } } }
            """
        let named = try ModelConfig.parse(text, file: "config.pbtxt")
        #expect(try ModelConfigJSON.config(json) == named)
        #expect(try ModelConfig.parse(numbered, file: "config.pbtxt") == named)
        #expect(
            throws: LedgeError.invalidModel(
                "config.pbtxt:1:19: input[0].data_type: 15 is no value's number: expected a data type such as TYPE_FP32, or its number (0 to 14)")
        ) {
            try ModelConfig.parse("input { name: \"a\" data_type: 15 dims: 4 }", file: "config.pbtxt")
        }
        #expect(
            throws: LedgeError.invalidModel(
                "config.pbtxt:1:18: instance_group[0].kind KIND_GPU is not supported by ledge: expected KIND_CPU (Ledge runs models on the CPU)")
        ) {
            try ModelConfig.parse("instance_group { kind: 1 }", file: "config.pbtxt")
        }
    }

    /// Triton's dump of a config (`GET /v2/models/{m}/config`): every field written, those Ledge has
    /// no work for at their defaults, reads as the few fields it sets; its backend's parameter is kept.
    @Test func tritonsDumpReadsAsTheFieldsItSets() throws {
        let dump = """
            {"name": "densenet_onnx", "platform": "onnxruntime_onnx", "backend": "onnxruntime", "runtime": "",
             "version_policy": {"latest": {"num_versions": 1}}, "max_batch_size": 0,
             "input": [{"name": "data_0", "data_type": "TYPE_FP32", "format": "FORMAT_NCHW", "dims": [3, 224, 224],
                        "reshape": {"shape": [1, 3, 224, 224]}, "is_shape_tensor": false, "allow_ragged_batch": false, "optional": false,
                        "is_non_linear_format_io": false}],
             "output": [{"name": "fc6_1", "data_type": "TYPE_FP32", "dims": [1000], "reshape": {"shape": [1, 1000, 1, 1]},
                         "label_filename": "densenet_labels.txt", "is_shape_tensor": false, "is_non_linear_format_io": false},
                        {"name": "extra", "data_type": "TYPE_INT64", "dims": [1], "label_filename": "", "is_shape_tensor": false}],
             "batch_input": [], "batch_output": [],
             "optimization": {"priority": "PRIORITY_DEFAULT", "input_pinned_memory": {"enable": true}, "output_pinned_memory": {"enable": true},
                              "gather_kernel_buffer_threshold": 0, "eager_batching": false},
             "instance_group": [{"name": "densenet_onnx_0", "kind": "KIND_CPU", "count": 2, "gpus": [], "secondary_devices": [], "profile": [],
                                 "passive": false, "host_policy": ""}],
             "default_model_filename": "model.onnx", "cc_model_filenames": {}, "metric_tags": {},
             "parameters": {"enable_mem_arena": {"string_value": "1"}, "intra_op_thread_count": {"string_value": "2"}},
             "model_warmup": [], "model_transaction_policy": {"decoupled": false}, "response_cache": {"enable": false}}
            """
        let text = """
            name: "densenet_onnx" platform: "onnxruntime_onnx" backend: "onnxruntime" max_batch_size: 0
            input { name: "data_0" data_type: TYPE_FP32 format: FORMAT_NCHW dims: [3, 224, 224] reshape { shape: [1, 3, 224, 224] } }
            output { name: "fc6_1" data_type: TYPE_FP32 dims: [1000] reshape { shape: [1, 1000, 1, 1] } label_filename: "densenet_labels.txt" }
            output { name: "extra" data_type: TYPE_INT64 dims: [1] }
            instance_group { count: 2 kind: KIND_CPU }
            default_model_filename: "model.onnx"
            parameters { key: "enable_mem_arena" value { string_value: "1" } }
            parameters { key: "intra_op_thread_count" value { string_value: "2" } }
            """
        let config = try ModelConfigJSON.config(dump)
        #expect(config == (try ModelConfig.parse(text, file: "config.pbtxt")))
        #expect(config.unreadParameterKeys(for: .onnx).isEmpty && config.onnxRuntimeSettings.memoryArena)
        #expect(config.threads == 2 && config.labelFilename == "densenet_labels.txt")
    }

    @Test(arguments: [
        ("[1]", "load parameter 'config' is no JSON object: expected Triton's model configuration as JSON"),
        ("{", "load parameter 'config' is no JSON object: expected Triton's model configuration as JSON"),
        (
            #"{"ensemble_scheduling": {}}"#,
            "load parameter 'config': field 'ensemble_scheduling' is not supported by ledge: expected one of name, platform, backend, max_batch_size, input, output, dynamic_batching, instance_group, version_policy, parameters, model_warmup, default_model_filename"
        ),
        (
            #"{"optimization": {"priority": "PRIORITY_MAX", "execution_accelerators": {"cpu_execution_accelerator": [{"name": "openvino"}]}}}"#,
            "load parameter 'config': field 'optimization.execution_accelerators.cpu_execution_accelerator' is a list with elements: expected none (ledge takes Triton's 'optimization.execution_accelerators' only when it is off)"
        ),
        (
            #"{"response_cache": {"enable": true}}"#,
            "load parameter 'config': field 'response_cache.enable' is true: expected false (ledge takes Triton's 'response_cache' only when it is off)"
        ),
        (
            #"{"cc_model_filenames": {"8.6": "model_sm86.onnx"}}"#,
            "load parameter 'config': field 'cc_model_filenames.8.6' is \"model_sm86.onnx\": expected its default (ledge takes Triton's 'cc_model_filenames' only when it is off)"
        ),
        (#"{"max_batch_size": "x"}"#, "load parameter 'config': max_batch_size: expected an integer from 0 to 2147483647, found string \"x\""),
        (#"{"max_batch_size": -1}"#, "load parameter 'config': max_batch_size: -1 is out of range: expected an integer from 0 to 2147483647"),
        (
            #"{"instance_group": [{"kind": "KIND_GPU"}]}"#,
            "load parameter 'config': instance_group[0].kind KIND_GPU is not supported by ledge: expected KIND_CPU (Ledge runs models on the CPU)"
        ),
        (
            #"{"parameters": {"threads": {"string_value": "x"}}}"#,
            "load parameter 'config': parameters 'threads': \"x\" is not a thread count: expected an integer from 1 to 256"
        ),
    ])
    func aBadConfigIsRefusedByItsField(json: String, message: String) {
        #expect(throws: LedgeError.invalidInput(message)) { try ModelConfigJSON.config(json) }
    }
}
