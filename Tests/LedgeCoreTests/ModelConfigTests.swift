import Foundation
import LedgeCore
import Testing

/// Triton's config.pbtxt, the subset Ledge serves: every supported field read, the
/// version policies, loading from a file, and Triton's JSON of a config
/// (ModelConfigErrorTests: what is refused).
@Suite struct ModelConfigTests {
    static func parse(_ text: String) throws -> ModelConfig { try ModelConfig.parse(text, file: "config.pbtxt") }

    static let full = """
        # A Triton config with every field Ledge supports.
        name: "mobilenet"
        platform: "onnxruntime_onnx"
        backend: "onnxruntime"
        max_batch_size: 8
        input [
          {
            name: "input"
            data_type: TYPE_FP32
            dims: [ 3, 224, 224 ]
          }
        ]
        output {
          name: "output"
          data_type: TYPE_FP32
          dims: 1000
        }
        output { name: "extra", data_type: TYPE_INT64, dims: [-1] }
        dynamic_batching {
          preferred_batch_size: [ 4, 8 ]
          max_queue_delay_microseconds: 100
        }
        instance_group [ { count: 2, kind: KIND_CPU }, { count: 1 } ]
        version_policy: { latest: { num_versions: 2 } }
        parameters { key: "threads" value: { string_value: "2" } }
        parameters: { key: "uri", value { string_value: "s3://bucket/m" } }
        """

    @Test func everySupportedField() throws {
        let config = try Self.parse(Self.full)
        #expect(config.name == "mobilenet")
        #expect(config.platform == "onnxruntime_onnx")
        #expect(config.backend == "onnxruntime")
        #expect(config.maxBatchSize == 8)
        #expect(config.declaredMaxBatchSize == 8)
        #expect(config.inputs == [TensorConfig(name: "input", dtype: .float32, dims: [3, 224, 224])])
        #expect(
            config.outputs == [
                TensorConfig(name: "output", dtype: .float32, dims: [1000]), TensorConfig(name: "extra", dtype: .int64, dims: [-1]),
            ])
        #expect(config.dynamicBatching == DynamicBatchingConfig(preferredBatchSizes: [4, 8], maxQueueDelayMicroseconds: 100))
        #expect(config.instanceGroups == [InstanceGroupConfig(count: 2, kind: "KIND_CPU"), InstanceGroupConfig(count: 1, kind: "KIND_CPU")])
        #expect(config.instanceCount == 3)
        #expect(config.versionPolicy == .latest(2))
        #expect(config.parameters == ["threads": "2", "uri": "s3://bucket/m"])
        #expect(config.threads == 2)
    }

    /// Triton's ONNX Runtime backend names the thread count `intra_op_thread_count` (0: its default).
    /// Triton's fields Ledge has no work for, as Triton's dumps and Model Analyzer's configs write
    /// them (off, or GPU-only; booleans in any of protobuf's spellings), read as if absent; a
    /// backend's parameter is kept, named as unread.
    @Test func tritonsFieldsAtTheirDefaultsAreTaken() throws {
        let written = try Self.parse(
            """
            max_batch_size: 8 runtime: "" batch_input: [] cc_model_filenames: {} metric_tags { }
            input { name: "a" data_type: TYPE_FP32 dims: 4 is_shape_tensor: false allow_ragged_batch: false optional: false is_non_linear_format_io: false }
            output { name: "sum" data_type: TYPE_FP32 dims: 4 label_filename: "" is_shape_tensor: false }
            optimization {
              priority: PRIORITY_MAX input_pinned_memory { enable: true } output_pinned_memory { enable: true }
              cuda { graphs: true } gather_kernel_buffer_threshold: 0 eager_batching: false graph { level: 0 }
            }
            dynamic_batching { preserve_ordering: True default_queue_policy { allow_timeout_override: True } }
            instance_group { name: "add_0" kind: KIND_CPU count: 2 gpus: [] profile: [] passive: f host_policy: "" rate_limiter { priority: 0 } }
            model_operations { } model_transaction_policy { decoupled: 0 } response_cache { enable: False } model_repository_agents { agents: [] }
            parameters { key: "execution_mode" value { string_value: "0" } }
            """)
        var plain = try Self.parse(
            """
            max_batch_size: 8
            input { name: "a" data_type: TYPE_FP32 dims: 4 }
            output { name: "sum" data_type: TYPE_FP32 dims: 4 }
            dynamic_batching { default_queue_policy { allow_timeout_override: true } }
            instance_group { kind: KIND_CPU count: 2 }
            """)
        #expect(written.unreadParameterKeys(for: .tflite) == ["execution_mode"] && written.unreadParameterKeys(for: .onnx).isEmpty)
        #expect(plain.unreadParameterKeys(for: .tflite).isEmpty)
        plain.parameters = ["execution_mode": "0"]
        #expect(written == plain)
    }

    /// Triton's ONNX Runtime backend settings, read as that backend reads them (for ONNX models;
    /// a TFLite model's config names them among the parameters Ledge does not read).
    @Test func onnxRuntimeSettingsAreReadAsTritonsBackendReadsThem() throws {
        let config = try Self.parse(
            """
            optimization { graph { level: -1 } }
            parameters [{ key: "execution_mode" value { string_value: "1" } }, { key: "inter_op_thread_count" value { string_value: "2" } },
                        { key: "enable_mem_arena" value { string_value: "OFF" } }, { key: "enable_mem_pattern" value { string_value: "0" } }]
            """)
        #expect(
            config.onnxRuntimeSettings
                == ONNXRuntimeSettings(graphLevel: .basic, parallel: true, interOpThreads: 2, memoryArena: false, memoryPattern: false))
        #expect(
            config.onnxRuntimeSettings.summary
                == "graph optimization basic, parallel execution on 2 inter-op threads, memory arena off, memory pattern off")
        #expect(config.unreadParameterKeys(for: .onnx).isEmpty)
        #expect(config.unreadParameterKeys(for: .tflite) == ["enable_mem_arena", "enable_mem_pattern", "execution_mode", "inter_op_thread_count"])
        #expect(config.json().contains(#""optimization":{"graph":{"level":-1}}"#))
        let levels = try [0, 1, 2].map { try Self.parse("optimization { graph { level: \($0) } }").onnxRuntimeSettings.graphLevel }
        #expect(levels == [.all, .extended, .disabled])
        let defaults = try Self.parse("parameters { key: \"enable_mem_pattern\" value { string_value: \"True\" } }")
        #expect(defaults.onnxRuntimeSettings == ONNXRuntimeSettings() && defaults.onnxRuntimeSettings.summary.isEmpty)
        #expect(try Self.parse("").onnxRuntimeSettings == ONNXRuntimeSettings() && (try Self.parse("")).graphLevel == nil)
    }

    @Test func intraOpThreadCountIsTheThreadCount() throws {
        let key = "parameters { key: \"intra_op_thread_count\" value: { string_value: \"%@\" } }"
        #expect(try Self.parse(key.replacingOccurrences(of: "%@", with: "3")).threads == 3)
        #expect(try Self.parse(key.replacingOccurrences(of: "%@", with: "0")).threads == nil)
    }

    /// `model_warmup` as Triton writes it, read and printed back in Triton's JSON.
    @Test func warmupSamples() throws {
        let config = try Self.parse(
            """
            max_batch_size: 4
            model_warmup [
              {
                name: "zeros"
                batch_size: 2
                inputs { key: "a" value: { data_type: TYPE_FP32 dims: [ 4 ] zero_data: true } }
                inputs { key: "b" value: { data_type: TYPE_FP32 dims: [ 4 ] input_data_file: "b.raw" } }
                count: 3
              },
              { name: "noise" inputs [ { key: "a" value { data_type: TYPE_UINT8 dims: [2, 2] random_data: true } } ] }
            ]
            """)
        #expect(
            config.warmups == [
                WarmupConfig(
                    name: "zeros", batchSize: 2,
                    inputs: [
                        WarmupConfig.Input(name: "a", dtype: .float32, dims: [4], data: .zeros),
                        WarmupConfig.Input(name: "b", dtype: .float32, dims: [4], data: .file("b.raw")),
                    ], count: 3),
                WarmupConfig(
                    name: "noise", batchSize: 1, inputs: [WarmupConfig.Input(name: "a", dtype: .uint8, dims: [2, 2], data: .random)], count: 0),
            ])
        #expect(config.warmups.map(\.runs) == [3, 1])
        #expect(
            config.json().contains(
                #""model_warmup":[{"batch_size":2,"count":3,"inputs":{"a":{"data_type":"TYPE_FP32","dims":[4],"zero_data":true},"#
                    + #""b":{"data_type":"TYPE_FP32","dims":[4],"input_data_file":"b.raw"}},"name":"zeros"},"#
                    + #"{"batch_size":1,"count":0,"inputs":{"a":{"data_type":"TYPE_UINT8","dims":[2,2],"random_data":true}},"name":"noise"}]"#))
    }

    @Test func emptyConfigHasTheDefaults() throws {
        let config = try Self.parse("# nothing\n")
        #expect(config == ModelConfig())
        #expect(config.maxBatchSize == 0)
        #expect(config.declaredMaxBatchSize == nil)
        #expect(config.versionPolicy == .latest(1))
        #expect(config.instanceCount == nil)
        #expect(config.threads == nil)
    }

    @Test func versionPoliciesSelect() throws {
        #expect(VersionPolicy.latest(2).select([3, 1, 2]) == [2, 3])
        #expect(VersionPolicy.latest(1).select([]) == [])
        #expect(VersionPolicy.latest(5).select([2, 1]) == [1, 2])
        #expect(VersionPolicy.all.select([3, 1, 2]) == [1, 2, 3])
        #expect(VersionPolicy.specific([1, 3]).select([1, 2]) == [1])
        #expect(try Self.parse("version_policy: { all: {} }").versionPolicy == .all)
        #expect(try Self.parse("version_policy { specific { versions: [1, 3] } }").versionPolicy == .specific([1, 3]))
        #expect(try Self.parse("version_policy { specific { versions: 1 versions: 3 } }").versionPolicy == .specific([1, 3]))
    }

    @Test func loadReadsAFileAndNamesAMissingOne() throws {
        let dir = NSTemporaryDirectory() + "ledge-config-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/config.pbtxt"
        try Data("max_batch_size: 4\nbogus: 1\n".utf8).write(to: URL(fileURLWithPath: path))
        #expect(
            throws: LedgeError.invalidModel(
                "\(path):2:1: field 'bogus' is not supported by ledge: expected one of name, platform, backend, max_batch_size, input, output, dynamic_batching, instance_group, version_policy, parameters, model_warmup, default_model_filename"
            )
        ) {
            try ModelConfig.load(path: path)
        }
        try Data("max_batch_size: 4\n".utf8).write(to: URL(fileURLWithPath: path))
        #expect(try ModelConfig.load(path: path).maxBatchSize == 4)
        try Data().write(to: URL(fileURLWithPath: path))
        #expect(try ModelConfig.load(path: path) == ModelConfig())
        try Data([0x6E, 0xFF]).write(to: URL(fileURLWithPath: path))
        #expect(throws: LedgeError.invalidModel("\(path): not UTF-8 text: expected a config.pbtxt in protobuf text format")) {
            try ModelConfig.load(path: path)
        }
        #expect(throws: LedgeError.invalidModel("model config file not found: \(dir)/none.pbtxt")) {
            try ModelConfig.load(path: dir + "/none.pbtxt")
        }
    }

    @Test func jsonIsTritonsWithSortedKeys() throws {
        let json = try Self.parse(Self.full).json()
        #expect(
            json
                == #"{"backend":"onnxruntime","dynamic_batching":{"max_queue_delay_microseconds":100,"preferred_batch_size":[4,8]},"#
                + #""input":[{"data_type":"TYPE_FP32","dims":[3,224,224],"name":"input"}],"instance_group":[{"count":2,"kind":"KIND_CPU"},"#
                + #"{"count":1,"kind":"KIND_CPU"}],"max_batch_size":8,"name":"mobilenet","output":[{"data_type":"TYPE_FP32","dims":[1000],"#
                + #""name":"output"},{"data_type":"TYPE_INT64","dims":[-1],"name":"extra"}],"parameters":{"threads":{"string_value":"2"},"#
                + #""uri":{"string_value":"s3://bucket/m"}},"platform":"onnxruntime_onnx","version_policy":{"latest":{"num_versions":2}}}"#)
        let policy = try Self.parse(
            """
            max_batch_size: 4
            dynamic_batching {
              default_queue_policy { timeout_action: REJECT default_timeout_microseconds: 50000 allow_timeout_override: true max_queue_size: 8 }
            }
            """)
        #expect(
            policy.dynamicBatching?.queuePolicy
                == QueuePolicyConfig(defaultTimeoutMicroseconds: 50_000, allowTimeoutOverride: true, maxQueueSize: 8))
        #expect(
            policy.json().contains(
                #""dynamic_batching":{"default_queue_policy":{"allow_timeout_override":true,"default_timeout_microseconds":50000,"max_queue_size":8,"#
                    + #""timeout_action":"REJECT"},"max_queue_delay_microseconds":0,"preferred_batch_size":[]}"#))
        #expect(
            try Self.parse("max_batch_size: 4\ndynamic_batching { default_queue_policy { } }").dynamicBatching?.queuePolicy == QueuePolicyConfig())
        // Triton's priority scheduling: levels, the default level, a level's own queue policy.
        let priorities = try Self.parse(
            """
            max_batch_size: 4
            dynamic_batching {
              priority_levels: 3 default_priority_level: 2
              priority_queue_policy { key: 1 value { default_timeout_microseconds: 1000 max_queue_size: 2 } }
            }
            """)
        let levels = try #require(priorities.dynamicBatching?.priorities)
        #expect(
            levels
                == PriorityLevelsConfig(
                    levels: 3, defaultLevel: 2, queuePolicies: [1: QueuePolicyConfig(defaultTimeoutMicroseconds: 1000, maxQueueSize: 2)]))
        #expect([nil, 0, 1, 2, 3, 4, 99].map { levels.level(priority: $0) } == [2, 2, 1, 2, 3, 2, 2])
        #expect(levels.queuePolicy(level: 1, default: nil)?.defaultTimeoutMicroseconds == 1000)
        #expect(levels.queuePolicy(level: 3, default: QueuePolicyConfig(maxQueueSize: 5))?.maxQueueSize == 5)
        #expect(
            priorities.json().contains(
                #""dynamic_batching":{"default_priority_level":2,"max_queue_delay_microseconds":0,"preferred_batch_size":[],"priority_levels":3,"#
                    + #""priority_queue_policy":{"1":{"allow_timeout_override":false,"default_timeout_microseconds":1000,"max_queue_size":2,"#
                    + #""timeout_action":"REJECT"}}}"#))
        #expect(try Self.parse("max_batch_size: 4\ndynamic_batching { priority_levels: 0 }").dynamicBatching?.priorities == nil)
        let delay = try Self.parse(
            "max_batch_size: 4\ndynamic_batching { default_queue_policy { timeout_action: DELAY default_timeout_microseconds: 5 } }")
        #expect(delay.dynamicBatching?.queuePolicy == QueuePolicyConfig(defaultTimeoutMicroseconds: 5, delays: true))
        #expect(delay.json().contains(#""timeout_action":"DELAY""#))
        let plain = ModelConfig(name: "a\"b", versionPolicy: .specific([1, 3])).json()
        #expect(
            plain
                == #"{"backend":"","input":[],"instance_group":[],"max_batch_size":0,"name":"a\"b","output":[],"parameters":{},"#
                + #""platform":"","version_policy":{"specific":{"versions":[1,3]}}}"#)
        #expect(ModelConfig(versionPolicy: .all).json().hasSuffix(#""version_policy":{"all":{}}}"#))
    }

    /// How long a request may wait: its own timeout without a policy; with one, the default, or
    /// the request's when the policy allows it and it is shorter (or there is no default).
    @Test func queueTimeoutOfARequest() {
        let none: QueuePolicyConfig? = nil
        let strict = QueuePolicyConfig(defaultTimeoutMicroseconds: 50_000)
        let open = QueuePolicyConfig(defaultTimeoutMicroseconds: 50_000, allowTimeoutOverride: true)
        let noDefault = QueuePolicyConfig(allowTimeoutOverride: true)
        #expect(QueuePolicyConfig.timeout(requested: nil, policy: none) == nil)
        #expect(QueuePolicyConfig.timeout(requested: 0, policy: none) == nil)
        #expect(QueuePolicyConfig.timeout(requested: 7, policy: none) == 7)
        #expect(QueuePolicyConfig.timeout(requested: 7, policy: strict) == 50_000)
        #expect(QueuePolicyConfig.timeout(requested: nil, policy: strict) == 50_000)
        #expect(QueuePolicyConfig.timeout(requested: 7, policy: open) == 7)
        #expect(QueuePolicyConfig.timeout(requested: 90_000, policy: open) == 50_000)
        #expect(QueuePolicyConfig.timeout(requested: 90_000, policy: noDefault) == 90_000)
        #expect(QueuePolicyConfig.timeout(requested: 90_000, policy: QueuePolicyConfig()) == nil)
    }
}
