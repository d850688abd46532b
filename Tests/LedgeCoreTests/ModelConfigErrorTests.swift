import LedgeCore
import Testing

/// Every field Ledge does not support is refused by its path, and every wrong value
/// names its field, line and column: none is ever ignored.
@Suite struct ModelConfigErrorTests {
    static func error(_ message: String) -> LedgeError { LedgeError.invalidModel("config.pbtxt:" + message) }

    @Test(arguments: [
        (
            "name: \"m\"\noptimization { bogus: 1 }",
            "2:16: field 'optimization.bogus' is not supported by ledge: expected one of input_pinned_memory, output_pinned_memory, gather_kernel_buffer_threshold, cuda, priority, graph, execution_accelerators, eager_batching"
        ),
        (
            "sequence_batching {}",
            "1:1: field 'sequence_batching' is not supported by ledge: expected one of name, platform, backend, max_batch_size, input, output, dynamic_batching, instance_group, version_policy, parameters, model_warmup, default_model_filename"
        ),
        (
            "input { name: \"x\"\n  is_shape_tensor: true }",
            "2:3: field 'input[0].is_shape_tensor' is true: expected false (ledge takes this Triton field only when it is off)"
        ),
        (
            "input [{ name: \"a\" data_type: TYPE_FP32 dims: 1 }, { allow_ragged_batch: true }]",
            "1:54: field 'input[1].allow_ragged_batch' is true: expected false (ledge takes this Triton field only when it is off)"
        ),
        (
            "input { name: \"x\" shape_tensor: true }",
            "1:19: field 'input[0].shape_tensor' is not supported by ledge: expected one of name, data_type, dims, reshape, format"
        ),
        (
            "dynamic_batching { preserve_ordering: yes }",
            "1:20: dynamic_batching.preserve_ordering: expected true or false, found identifier yes"
        ),
        (
            "instance_group { gpus: [0] }",
            "1:18: field 'instance_group[0].gpus' is a list with elements: expected none (ledge takes this Triton field only when it is off)"
        ),
        (
            "instance_group { rate_limiter { resources [{ name: \"R1\" count: 4 }] } }",
            "1:18: field 'instance_group[0].rate_limiter.resources' is a list with elements: expected none (ledge takes Triton's 'instance_group[0].rate_limiter' only when it is off)"
        ),
        (
            "response_cache { enable: true }",
            "1:1: field 'response_cache.enable' is true: expected false (ledge takes Triton's 'response_cache' only when it is off)"
        ),
        (
            "model_transaction_policy { decoupled: true }",
            "1:1: field 'model_transaction_policy.decoupled' is true: expected false (ledge takes Triton's 'model_transaction_policy' only when it is off)"
        ),
        (
            "batch_input [{ kind: BATCH_ELEMENT_COUNT target_name: \"n\" data_type: TYPE_INT32 source_input: \"a\" }]",
            "1:1: field 'batch_input' is a list with elements: expected none (ledge takes this Triton field only when it is off)"
        ),
        (
            "optimization { execution_accelerators { cpu_execution_accelerator: [{ name: \"openvino\" }] } }",
            "1:16: field 'optimization.execution_accelerators.cpu_execution_accelerator' is a list with elements: expected none (ledge takes Triton's 'optimization.execution_accelerators' only when it is off)"
        ),
        (
            "optimization { priority: PRIORITY_MAX eager_batching: True }",
            "1:39: field 'optimization.eager_batching' is True: expected false (ledge takes this Triton field only when it is off)"
        ),
        (
            "optimization { graph { level: 3 } }",
            "1:24: optimization.graph.level is 3: expected one of ONNX Runtime's graph optimization levels: -1 (basic), 0 (all, the default), 1 (extended) or 2 (none)"
        ),
        (
            "runtime: \"model.py\"",
            "1:1: field 'runtime' is \"model.py\": expected \"\" (ledge takes this Triton field only when it is off)"
        ),
        (
            "model_warmup { name: \"w\" inputs { key: \"a\" value { data_type: TYPE_FP32 dims: 1 zero_data: true shape: 1 } } }",
            "1:97: field 'model_warmup[0].inputs[0].value.shape' is not supported by ledge: expected one of data_type, dims, zero_data, random_data, input_data_file"
        ),
        (
            "version_policy { all { x: 1 } }",
            "1:24: field 'version_policy.all.x' is not supported by ledge: expected no fields inside 'version_policy.all'"
        ),
        (
            "parameters { key: \"threads\" value { string_value: \"1\" bool_value: true } }",
            "1:55: field 'parameters[0].value.bool_value' is not supported by ledge: expected one of string_value"
        ),
    ])
    func unsupportedFieldsAreNamed(_ text: String, _ message: String) {
        #expect(throws: Self.error(message)) { try ModelConfig.parse(text, file: "config.pbtxt") }
    }

    /// `model_warmup`: what a sample must give, each refusal naming its field.
    @Test(arguments: [
        (
            "model_warmup { inputs { key: \"a\" value { data_type: TYPE_FP32 dims: 1 zero_data: true } } }",
            "1:1: model_warmup[0].name is missing: expected a name for each model_warmup"
        ),
        ("model_warmup { name: \"w\" }", "1:1: model_warmup[0].inputs is missing: expected an input of the model for each of its inputs"),
        (
            "model_warmup { name: \"w\" inputs { key: \"a\" value { data_type: TYPE_FP32 dims: 1 } } }",
            "1:44: model_warmup[0].inputs[0].value: expected one of zero_data, random_data or input_data_file, found none"
        ),
        (
            "model_warmup { name: \"w\" inputs { key: \"a\" value { data_type: TYPE_FP32 dims: 1 zero_data: true random_data: true } } }",
            "1:44: model_warmup[0].inputs[0].value: expected one of zero_data, random_data or input_data_file, found zero_data and random_data"
        ),
        (
            "model_warmup { name: \"w\" inputs { key: \"a\" value { data_type: TYPE_FP32 dims: -1 zero_data: true } } }",
            "1:73: model_warmup[0].inputs[0].value.dims[0]: -1 is out of range: expected a positive integer"
        ),
        (
            "model_warmup { name: \"w\" inputs { key: \"a\" value { data_type: TYPE_FP32 dims: 1 zero_data: false } } }",
            "1:81: model_warmup[0].inputs[0].value.zero_data: expected true (give the kind of data that is wanted)"
        ),
        (
            "model_warmup { name: \"w\" inputs { key: \"a\" value { data_type: TYPE_FP32 dims: 1 input_data_file: \"../x\" } } }",
            "1:81: model_warmup[0].inputs[0].value.input_data_file: '../x' is not a file of the model's warmup folder: expected a relative path without '..'"
        ),
        (
            "model_warmup { name: \"w\" count: 5000 inputs { key: \"a\" value { data_type: TYPE_FP32 dims: 1 zero_data: true } } }",
            "1:26: model_warmup[0].count: 5000 is out of range: expected an integer from 0 to 1000"
        ),
        (
            "model_warmup { name: \"w\" inputs { key: \"a\" value { data_type: TYPE_FP32 dims: 1 zero_data: true } } inputs { key: \"a\" value { data_type: TYPE_FP32 dims: 1 zero_data: true } } }",
            "1:110: inputs key 'a' is given twice: expected it once"
        ),
    ])
    func badWarmupSamplesAreNamed(_ text: String, _ message: String) {
        #expect(throws: Self.error(message)) { try ModelConfig.parse(text, file: "config.pbtxt") }
    }

    @Test(arguments: [
        ("name: 12", "1:1: name: expected a string in quotes, found number 12"),
        ("name: \"a\" name: \"b\"", "1:11: field 'name' is given twice (first at 1:1): expected it once"),
        ("max_batch_size: \"8\"", "1:1: max_batch_size: expected an integer from 0 to 2147483647, found string \"8\""),
        ("max_batch_size: -1", "1:1: max_batch_size: -1 is out of range: expected an integer from 0 to 2147483647"),
        ("max_batch_size: 99999999999", "1:1: max_batch_size: 99999999999 is out of range: expected an integer from 0 to 2147483647"),
        ("max_batch_size: 1.5", "1:1: max_batch_size: expected an integer from 0 to 2147483647, found number 1.5"),
        (
            "platform: \"tensorflow_savedmodel\"",
            "1:1: platform 'tensorflow_savedmodel' is not supported by ledge: expected onnxruntime_onnx or tflite"
        ),
        ("backend: \"python\"", "1:1: backend 'python' is not supported by ledge: expected onnxruntime, tflite or armnn_tflite"),
        (
            "platform: \"tflite\" backend: \"onnxruntime\"",
            "1:20: backend 'onnxruntime' does not match platform 'tflite': expected tflite or armnn_tflite"
        ),
        (
            "platform: \"onnxruntime_onnx\" backend: \"armnn_tflite\"",
            "1:30: backend 'armnn_tflite' does not match platform 'onnxruntime_onnx': expected onnxruntime"
        ),
        ("input { data_type: TYPE_FP32 dims: 1 }", "1:1: input[0].name is missing: expected name, data_type and dims in each input"),
        ("output { name: \"y\" dims: 1 }", "1:1: output[0].data_type is missing: expected name, data_type and dims in each output"),
        ("input { name: \"x\" data_type: TYPE_FP32 }", "1:1: input[0].dims is missing: expected name, data_type and dims in each input"),
        ("input { name: \"x\" data_type: TYPE_FP32 dims: [] }", "1:1: input[0].dims is empty: expected at least one dimension"),
        ("input { name: \"x\" data_type: TYPE_FP32 dims: [3, 0] }", "1:50: input[0].dims[1]: 0 is out of range: expected a positive integer or -1"),
        ("input { name: \"x\" data_type: TYPE_FP32 dims: [-2] }", "1:47: input[0].dims[0]: -2 is out of range: expected a positive integer or -1"),
        ("input { name: \"x\" data_type: TYPE_FP32 dims: \"3\" }", "1:40: input[0].dims[0]: expected a positive integer or -1, found string \"3\""),
        ("input { name: \"\" data_type: TYPE_FP32 dims: 1 }", "1:9: input[0].name: expected a non-empty string, found \"\""),
        (
            "input [{ name: \"x\" data_type: TYPE_FP32 dims: 1 }, { name: \"x\" data_type: TYPE_FP32 dims: 1 }]",
            "1:54: input[1].name: 'x' is given twice: expected unique input names"
        ),
        (
            "input { name: \"x\" data_type: TYPE_FOO dims: 1 }",
            "1:19: input[0].data_type TYPE_FOO is not a Triton data type: expected one of TYPE_BOOL, TYPE_UINT8, TYPE_UINT16, TYPE_UINT32, TYPE_UINT64, TYPE_INT8, TYPE_INT16, TYPE_INT32, TYPE_INT64, TYPE_FP16, TYPE_FP32, TYPE_FP64"
        ),
        (
            "input { name: \"x\" data_type: TYPE_STRING dims: 1 }",
            "1:19: input[0].data_type TYPE_STRING is not supported by ledge: expected one of TYPE_BOOL, TYPE_UINT8, TYPE_UINT16, TYPE_UINT32, TYPE_UINT64, TYPE_INT8, TYPE_INT16, TYPE_INT32, TYPE_INT64, TYPE_FP16, TYPE_FP32, TYPE_FP64"
        ),
        (
            "input { name: \"x\" data_type: TYPE_BF16 dims: 1 }",
            "1:19: input[0].data_type TYPE_BF16 is not supported by ledge: expected one of TYPE_BOOL, TYPE_UINT8, TYPE_UINT16, TYPE_UINT32, TYPE_UINT64, TYPE_INT8, TYPE_INT16, TYPE_INT32, TYPE_INT64, TYPE_FP16, TYPE_FP32, TYPE_FP64"
        ),
        (
            "input { name: \"x\" data_type: \"TYPE_FP32\" dims: 1 }",
            "1:19: input[0].data_type: expected a data type such as TYPE_FP32, found string \"TYPE_FP32\""
        ),
        ("instance_group { count: -1 }", "1:18: instance_group[0].count: -1 is out of range: expected an integer from 1 to 256"),
        ("instance_group [{ count: 1 }, { count: \"2\" }]", "1:33: instance_group[1].count: expected an integer from 1 to 256, found string \"2\""),
        (
            "instance_group { count: 1 kind: KIND_GPU }",
            "1:27: instance_group[0].kind KIND_GPU is not supported by ledge: expected KIND_CPU (Ledge runs models on the CPU)"
        ),
        (
            "instance_group { kind: KIND_MODEL }",
            "1:18: instance_group[0].kind KIND_MODEL is not supported by ledge: expected KIND_CPU (Ledge runs models on the CPU)"
        ),
        ("instance_group: 2", "1:1: instance_group[0]: expected a message { … }, found number 2"),
        (
            "dynamic_batching { preferred_batch_size: [0] }",
            "1:43: dynamic_batching.preferred_batch_size[0]: 0 is out of range: expected a positive integer"
        ),
        (
            "dynamic_batching { default_queue_policy { timeout_action: WAIT } }",
            "1:43: dynamic_batching.default_queue_policy.timeout_action is WAIT: expected REJECT (a request whose timeout passes while it waits is refused) "
                + "or DELAY (it is served after the others)"
        ),
        (
            "dynamic_batching { default_queue_policy { allow_timeout_override: yes } }",
            "1:43: dynamic_batching.default_queue_policy.allow_timeout_override: expected true or false, found identifier yes"
        ),
        (
            "dynamic_batching { default_queue_policy { max_queue_size: 100000 } }",
            "1:43: dynamic_batching.default_queue_policy.max_queue_size: 100000 is out of range: expected an integer from 0 to 65536"
        ),
        (
            "dynamic_batching { default_queue_policy { default_timeout_microseconds: -1 } }",
            "1:43: dynamic_batching.default_queue_policy.default_timeout_microseconds: -1 is out of range: expected an integer from 0 to 3600000000 (1 h)"
        ),
        (
            "dynamic_batching { default_queue_policy { priority_levels: 2 } }",
            "1:43: field 'dynamic_batching.default_queue_policy.priority_levels' is not supported by ledge: expected one of timeout_action, default_timeout_microseconds, allow_timeout_override, max_queue_size"
        ),
        (
            "dynamic_batching { priority_levels: 2 }",
            "1:1: dynamic_batching.default_priority_level is missing: expected the level of requests without a priority, 1 to 2"
        ),
        (
            "dynamic_batching { priority_levels: 2 default_priority_level: 3 }",
            "1:39: dynamic_batching.default_priority_level: 3 is out of range: expected a level from 1 to 2 (priority_levels)"
        ),
        (
            "dynamic_batching { default_priority_level: 1 }",
            "1:20: dynamic_batching.default_priority_level needs priority_levels: expected priority_levels of 1 or more"
        ),
        (
            "dynamic_batching { priority_queue_policy { key: 1 value { } } }",
            "1:20: dynamic_batching.priority_queue_policy needs priority_levels: expected priority_levels of 1 or more"
        ),
        (
            "dynamic_batching { priority_levels: 2 default_priority_level: 1 priority_queue_policy { key: 3 value { } } }",
            "1:89: dynamic_batching.priority_queue_policy[0].key: 3 is out of range: expected a level from 1 to 2 (priority_levels)"
        ),
        (
            "dynamic_batching { priority_levels: 2 default_priority_level: 1 priority_queue_policy { key: 1 value { } } "
                + "priority_queue_policy { key: 1 value { } } }",
            "1:132: dynamic_batching.priority_queue_policy[1].key 1 is given twice: expected each level once"
        ),
        (
            "dynamic_batching { priority_levels: 2 default_priority_level: 1 priority_queue_policy { key: 1 value { timeout_action: 3 } } }",
            "1:104: dynamic_batching.priority_queue_policy[0].value.timeout_action: 3 is no value's number: expected REJECT or DELAY, or its number (0 or 1)"
        ),
        (
            "dynamic_batching { priority_levels: 2000 }",
            "1:20: dynamic_batching.priority_levels: 2000 is out of range: expected an integer from 0 to 1024"
        ),
        (
            "dynamic_batching { max_queue_delay_microseconds: -5 }",
            "1:20: dynamic_batching.max_queue_delay_microseconds: -5 is out of range: expected an integer from 0 to 60000000 (60 s)"
        ),
        ("max_batch_size: 0\ndynamic_batching { }", "2:1: dynamic_batching needs a batch: expected max_batch_size > 0"),
        (
            "max_batch_size: 4\ndynamic_batching { preferred_batch_size: 8 }",
            "2:1: dynamic_batching.preferred_batch_size 8 is larger than max_batch_size 4: expected at most 4"
        ),
        ("version_policy { latest {} all {} }", "1:1: version_policy: expected one of latest, all or specific, found latest and all"),
        ("version_policy { }", "1:1: version_policy: expected one of latest, all or specific, found none"),
        ("version_policy { latest { } }", "1:18: version_policy.latest.num_versions is missing: expected a positive integer"),
        ("version_policy { latest { num_versions: 0 } }", "1:27: version_policy.latest.num_versions: 0 is out of range: expected a positive integer"),
        ("version_policy { specific { versions: [] } }", "1:18: version_policy.specific.versions is missing: expected at least one version"),
        ("parameters { key: \"\" value { string_value: \"1\" } }", "1:14: parameters[0].key: expected a non-empty string, found \"\""),
        (
            "parameters { key: \"threads\" value { string_value: \"many\" } }",
            "1:37: parameters 'threads': \"many\" is not a thread count: expected an integer from 1 to 256"
        ),
        (
            "parameters { key: \"threads\" value { string_value: \"0\" } }",
            "1:37: parameters 'threads': \"0\" is not a thread count: expected an integer from 1 to 256"
        ),
        (
            "parameters { key: \"intra_op_thread_count\" value { string_value: \"-1\" } }",
            "1:51: parameters 'intra_op_thread_count': \"-1\" is not a thread count: expected an integer from 0 to 256"
        ),
        (
            "optimization { graph { level: 1 passes: 2 } }",
            "1:33: field 'optimization.graph.passes' is not supported by ledge: expected one of level"
        ),
        (
            "parameters { key: \"execution_mode\" value { string_value: \"2\" } }",
            "1:44: parameters 'execution_mode': \"2\" is not an execution mode: expected 0 (sequential) or 1 (parallel)"
        ),
        (
            "parameters { key: \"inter_op_thread_count\" value { string_value: \"all\" } }",
            "1:51: parameters 'inter_op_thread_count': \"all\" is not a thread count: expected an integer from 0 to 256"
        ),
        (
            "parameters { key: \"enable_mem_arena\" value { string_value: \"maybe\" } }",
            "1:46: parameters 'enable_mem_arena': \"maybe\" is not a boolean: expected true or false (also on, off, 1, 0)"
        ),
        (
            "parameters [{ key: \"threads\" value { string_value: \"2\" } }, { key: \"intra_op_thread_count\" value { string_value: \"2\" } }]",
            "1:63: parameters 'intra_op_thread_count' and 'threads' both give the thread count: expected one"
        ),
        (
            "default_model_filename: \"../m.onnx\"",
            "1:1: default_model_filename: '../m.onnx' is not a file name: expected the name of a file in the model's folder ending in .onnx or .tflite"
        ),
        (
            "default_model_filename: \"model.plan\"",
            "1:1: default_model_filename: 'model.plan' is not a file name: expected the name of a file in the model's folder ending in .onnx or .tflite"
        ),
        (
            "input [{ name: \"a\", data_type: TYPE_FP32, dims: [4], label_filename: \"l.txt\" }]",
            "1:54: field 'input[0].label_filename' is not supported by ledge: expected one of name, data_type, dims, reshape, format"
        ),
        (
            "output [{ name: \"a\", data_type: TYPE_FP32, dims: [4], label_filename: \"x\" }, { name: \"b\", data_type: TYPE_FP32, dims: [4], label_filename: \"y\" }]",
            "1:78: label_filename is given on outputs 'a' and 'b': expected it on one output (ledge serves one label file per model)"
        ),
        (
            "input [{ name: \"a\", data_type: TYPE_FP32, dims: [4], reshape { shape: [1, 4] } }]",
            "1:1: 'a' has a reshape: expected max_batch_size in the config (0 for no batch dimension)"
        ),
        (
            "max_batch_size: 0\ninput [{ name: \"a\", data_type: TYPE_FP32, dims: [-1], reshape { shape: [1, 4] } }]",
            "2:55: input[0].reshape: dims [-1] have a dynamic size: expected fixed dims with reshape (ledge reshapes fixed sizes only)"
        ),
        (
            "max_batch_size: 0\ninput [{ name: \"a\", data_type: TYPE_FP32, dims: [4], reshape { shape: [1, 5] } }]",
            "2:54: input[0].reshape: shape [1, 5] holds 5 elements, dims [4] hold 4: expected the same count"
        ),
        (
            "input [{ name: \"a\", data_type: TYPE_FP32, dims: [4], format: FORMAT_CHW }]",
            "1:54: input[0].format FORMAT_CHW is not an input format: expected FORMAT_NONE, FORMAT_NCHW or FORMAT_NHWC"
        ),
        ("parameters { key: \"uri\" }", "1:1: parameters[0].value is missing: expected value { string_value: \"…\" }"),
        (
            "parameters [{ key: \"uri\" value { string_value: \"a\" } }, { key: \"uri\" value { string_value: \"b\" } }]",
            "1:59: parameters key 'uri' is given twice: expected it once"
        ),
    ])
    func wrongValuesNameTheirField(_ text: String, _ message: String) {
        #expect(throws: Self.error(message)) { try ModelConfig.parse(text, file: "config.pbtxt") }
    }
}
