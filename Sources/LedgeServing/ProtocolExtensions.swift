/// The protocol extensions a server lists in its metadata (`GET /v2`, gRPC ServerMetadata).
public enum ProtocolExtensions {
    /// The extensions served; `system_shared_memory` only where clients may register regions.
    /// `schedule_policy`: a request's `timeout` and `priority` parameters (the priority is ignored
    /// for a model without `priority_levels`, as Triton ignores it).
    public static func names(sharedMemory: Bool) -> [String] {
        ["binary_tensor_data", "classification", "model_repository", "schedule_policy", "statistics", "trace", "logging"]
            + (sharedMemory ? ["system_shared_memory"] : [])
    }
}
