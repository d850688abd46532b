#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
internal import HTTPTypes
internal import LedgeCore
internal import LedgeServer
internal import LedgeServing

/// FuzzMultipart: a `multipart/form-data` upload through the server's parser, as the
/// `classify` route (the first file part, its media type) and the Seldon routes (every
/// field a message key) read it.
///
/// Input layout: the bytes up to the first LF (a CR before it dropped) are the
/// `Content-Type` value; the rest is the body. Values HTTP cannot carry (a CR or NUL
/// left in them) are skipped.
///
/// Invariants: nothing traps; errors are one-line `invalidInput` ``LedgeError``s or a
/// one-line 415 ``ServerError``; the parts' contents never add up to more than the body;
/// the three readers agree on whether the body parses.
enum MultipartTarget {
    static func run(_ input: UnsafeBufferPointer<UInt8>) throws {
        let target = FuzzTarget.multipart
        let newline = input.firstIndex(of: 10) ?? input.endIndex
        var value = input[input.startIndex..<newline]
        if value.last == 13 { value = value.dropLast() }
        if value.contains(13) || value.contains(0) { return }
        let contentType = String(decoding: value, as: UTF8.self)
        let body = Data(input[min(newline + 1, input.endIndex)...])

        var parsed = false
        do {
            let parts = try DecodingEntryPoints.multipartParts(body, contentType: contentType)
            parsed = true
            let total = parts.reduce(0) { $0 + $1.body.count }
            if total > body.count { throw target.failure("\(parts.count) parts hold \(total) bytes of a \(body.count)-byte body", input) }
        } catch let failure as FuzzFailure {
            throw failure
        } catch {
            try target.expectLedgeError(error, from: "multipart parse", input)
        }

        do {
            let upload = try DecodingEntryPoints.imageUpload(multipart: body, contentType: contentType)
            if !parsed { throw target.failure("imageUpload accepted a body the parser refuses", input) }
            if upload.data.count > body.count { throw target.failure("the upload is larger than the body", input) }
            try target.expectOneLine(upload.name, from: "imageUpload's name", input)
        } catch let failure as FuzzFailure {
            throw failure
        } catch {
            try target.expectRefusal(error, from: "imageUpload", status: .unsupportedMediaType, input)
        }

        do {
            let message = try DecodingEntryPoints.seldonMessage(multipart: body, contentType: contentType)
            if !parsed { throw target.failure("seldonMessage accepted a body the parser refuses", input) }
            guard case .object = message else { throw target.failure("seldonMessage is not an object", input) }
        } catch let failure as FuzzFailure {
            throw failure
        } catch {
            try target.expectLedgeError(error, from: "seldonMessage", input)
        }
    }
}
