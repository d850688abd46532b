/// Ledge's version.
public enum LedgeVersion {
    /// The version `ledge --version` prints and `GET /v2` reports.
    public static let current = "0.1.0"
}
