#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
internal import HTTPTypes
internal import LedgeVision
internal import LedgeCore
internal import LedgeServing

extension ImageUpload {
    /// The first file part of a `multipart/form-data` body: a part with a
    /// `filename` or an `image/*` content type, whose content type is
    /// image/jpeg, image/png or generic, or whose bytes are a JPEG or PNG.
    static func fromMultipart(_ body: Data, contentType: String) throws -> ImageUpload {
        let parts = try Multipart.parse(body, boundary: try Multipart.boundary(contentType: contentType))
        let isFile = { (part: MultipartPart) in part.fileName != nil || part.contentType?.hasPrefix("image/") == true }
        let files = parts.filter(isFile)
        guard let part = files.first else {
            throw LedgeError.invalidInput(
                "multipart body has no file part: expected a form field with a filename holding a JPEG or PNG image")
        }
        // One photo a request: a second would be dropped unseen (send each in its own request).
        guard files.count == 1 else {
            throw LedgeError.invalidInput("multipart body has \(files.count) file parts: expected one image a request")
        }
        var name = "form field '\(HeaderValue.printable(part.fieldName ?? ""))'"
        if let file = part.fileName, !file.isEmpty { name += " (\(HeaderValue.printable(file)))" }
        let generic: Set<String?> = [nil, "image/jpeg", "image/png", "application/octet-stream"]
        guard generic.contains(part.contentType) || ImageFormat.sniff(part.body) != nil else {
            throw ServerError(
                .unsupportedMediaType,
                "\(name) has content type '\(HeaderValue.printable(part.contentType ?? ""))': expected image/jpeg or image/png")
        }
        return ImageUpload(data: part.body, name: name)
    }
}
