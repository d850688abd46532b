#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
internal import LedgeCore
internal import LedgeServing

/// The v1 answers about a model, for KServe's client and TensorFlow Serving's at once.
enum V1Metadata {
    /// `GET /v1/models/{m}[/versions/{v}]`: KServe's `{"name", "ready"}` beside TensorFlow
    /// Serving's `model_version_status` (each served version `AVAILABLE`); each client reads its own.
    static func status(_ model: ServedModel, versions: [ServedModel]) -> Data {
        var json = SeldonJSON()
        json.raw(#"{"name":"#)
        json.string(model.name)
        json.raw(#","ready":true,"model_version_status":"#)
        json.array(versions) { json, served in
            json.raw(#"{"version":"#)
            json.string(served.version)
            json.raw(#","state":"AVAILABLE","status":{"error_code":"OK","error_message":""}}"#)
        }
        json.raw("}")
        return Data(json.bytes)
    }

    /// `GET /v1/models/{m}[/versions/{v}]/metadata`: TensorFlow Serving's signature map, the
    /// model's inputs and outputs under its one signature, ``V1Coding/signature``.
    static func signatures(_ model: ServedModel) -> Data {
        var json = SeldonJSON()
        json.raw(#"{"model_spec":{"name":"#)
        json.string(model.name)
        json.raw(#","signature_name":"","version":"#)
        json.string(model.version)
        json.raw(#"},"metadata":{"signature_def":{"signature_def":{"#)
        json.string(V1Coding.signature)
        json.raw(#":{"inputs":"#)
        tensors(model.info.inputs, into: &json)
        json.raw(#","outputs":"#)
        tensors(model.info.outputs, into: &json)
        json.raw(#","method_name":"tensorflow/serving/predict"}}}}}"#)
        return Data(json.bytes)
    }

    /// TensorInfo by name: TensorFlow's dtype, the shape (-1 for a free dimension, sizes as strings as protobuf's JSON writes int64).
    private static func tensors(_ specs: [TensorSpec], into json: inout SeldonJSON) {
        json.raw("{")
        for (n, spec) in specs.enumerated() {
            if n > 0 { json.raw(",") }
            json.string(spec.name)
            json.raw(#":{"dtype":"#)
            json.string(tensorFlowName(spec.dtype))
            json.raw(#","tensor_shape":{"dim":"#)
            json.array(spec.shape) { json, size in
                json.raw(#"{"size":""#)
                json.raw(String(max(size, -1)))
                json.raw(#"","name":""}"#)
            }
            json.raw(#","unknown_rank":false},"name":"#)
            json.string(spec.name)
            json.raw("}")
        }
        json.raw("}")
    }

    /// TensorFlow's `DataType` name of `dtype`.
    static func tensorFlowName(_ dtype: DType) -> String {
        switch dtype {
        case .bool: "DT_BOOL"
        case .uint8: "DT_UINT8"
        case .int8: "DT_INT8"
        case .uint16: "DT_UINT16"
        case .int16: "DT_INT16"
        case .uint32: "DT_UINT32"
        case .int32: "DT_INT32"
        case .uint64: "DT_UINT64"
        case .int64: "DT_INT64"
        case .float16: "DT_HALF"
        case .float32: "DT_FLOAT"
        case .float64: "DT_DOUBLE"
        }
    }
}
