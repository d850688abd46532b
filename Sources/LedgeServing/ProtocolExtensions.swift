/// The protocol extensions a server lists in its metadata (`GET /v2`, gRPC ServerMetadata).
public enum ProtocolExtensions {
    /// The extensions served; `system_shared_memory` only where clients may register regions.
    public static func names(sharedMemory: Bool) -> [String] {
        ["binary_tensor_data", "classification", "model_repository", "statistics", "trace", "logging"]
            + (sharedMemory ? ["system_shared_memory"] : [])
    }
}
