#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// The image of a classify request: the bytes and a name for error messages.
public struct ImageUpload: Sendable {
    public var data: Data
    /// `request body`, or `form field 'NAME' (FILE)` for a multipart upload.
    public var name: String

    public init(data: Data, name: String) {
        self.data = data
        self.name = name
    }
}
