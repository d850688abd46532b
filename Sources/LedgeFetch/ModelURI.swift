public import LedgeCore

/// A model's URI: `https://…`, `http://…`, `s3://BUCKET/KEY`, `gs://BUCKET/OBJECT`,
/// `hf://OWNER/REPO[@REVISION][/PATH]` or `file:///absolute/path`, with an optional
/// `#sha256=<64 hex digits>` pin of the content.
public struct ModelURI: Sendable, Hashable, CustomStringConvertible {
    /// Where the content is.
    public enum Location: Sendable, Hashable {
        /// An http(s) URL (without the fragment).
        case remote(String)
        /// A local path.
        case file(String)
        /// An object in an S3 bucket (its key as written, not percent-encoded): fetched as
        /// ``S3Settings`` say.
        case s3(bucket: String, key: String)
        /// An object in a Google Cloud Storage bucket (its name as written): fetched as
        /// ``GCSSettings`` say.
        case gcs(bucket: String, object: String)
        /// A file of a Hugging Face Hub repository (`OWNER/REPO`) at a revision (a branch, tag or
        /// commit; `main` when none is given): fetched as ``HuggingFaceSettings`` say; a model
        /// (`.onnx`, `.tflite`) with the config files of its export, as ``HuggingFaceSnapshot`` says.
        case huggingFace(repository: String, revision: String, path: String)
        /// A Hub repository's root (`folder` empty) or a folder of it (ending in `/`): its model with
        /// the config files beside it, fetched as ``HuggingFaceSnapshot`` says.
        case huggingFaceFolder(repository: String, revision: String, folder: String)
    }

    /// Where the content is.
    public var location: Location
    /// The pinned sha256 (64 lowercase hex digits), if any.
    public var pin: String?
    /// The URI without its fragment, as messages name it.
    public var description: String
    /// The last path component (percent-decoded), `model` when the URI names none: the cached file's name.
    public var fileName: String

    /// Parses `text`; a one-line error names it and what was expected.
    public init(parsing text: String) throws {
        let hash = text.firstIndex(of: "#")
        let base = String(text[..<(hash ?? text.endIndex)])
        if let hash {
            let fragment = text[text.index(after: hash)...]
            let hex = fragment.dropFirst(7).lowercased()
            guard fragment.hasPrefix("sha256="), hex.utf8.count == 64, hex.utf8.allSatisfy({ Self.isHexDigit($0) }) else {
                throw LedgeError.usage("model URI '\(text)': expected the fragment #sha256=<64 hex digits>, got '#\(fragment)'")
            }
            pin = hex
        }
        description = base
        let path: Substring
        if base.hasPrefix("http://") || base.hasPrefix("https://") {
            guard let url = RequestURL(base) else {
                throw LedgeError.usage("model URI '\(text)': expected http(s)://HOST[:PORT]/PATH")
            }
            location = .remote(base)
            path = url.target.prefix { $0 != "?" }
        } else if base.hasPrefix("s3://") {
            guard let (bucket, key) = Self.bucketObject(base.dropFirst(5)) else {
                throw LedgeError.usage(
                    "model URI '\(text)': expected s3://BUCKET/KEY (a bucket of 3-63 letters, digits, '.', '-' or '_', and an object key)")
            }
            location = .s3(bucket: String(bucket), key: String(key))
            path = key
        } else if base.hasPrefix("gs://") {
            guard let (bucket, object) = Self.bucketObject(base.dropFirst(5)) else {
                throw LedgeError.usage(
                    "model URI '\(text)': expected gs://BUCKET/OBJECT (a bucket of 3-63 letters, digits, '.', '-' or '_', and an object name)")
            }
            location = .gcs(bucket: String(bucket), object: String(object))
            path = object
        } else if base.hasPrefix("hf://") {
            // huggingface_hub's HfFileSystem form: hf://OWNER/REPO[@REVISION]/PATH; without PATH (or with a
            // folder's, ending in /) the repository's model and its config files.
            let parts = base.dropFirst(5).split(separator: "/", maxSplits: 2, omittingEmptySubsequences: false)
            let named = parts.count >= 2 ? parts[1].split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false) : []
            let rest = parts.count == 3 ? parts[2] : ""
            guard parts.count >= 2, !parts[0].isEmpty, let name = named.first, !name.isEmpty, named.count == 1 || !named[1].isEmpty,
                !rest.hasPrefix("/"), !rest.contains("//"), !base.contains("?"), !base.contains("\0")
            else {
                throw LedgeError.usage(
                    "model URI '\(text)': expected hf://OWNER/REPO[@REVISION][/PATH] (a Hugging Face Hub repository, a folder of it ending in /, or a file)"
                )
            }
            let repository = "\(parts[0])/\(name)", revision = named.count == 2 ? String(named[1]) : "main"
            if rest.isEmpty || rest.hasSuffix("/") {
                guard pin == nil else {
                    throw LedgeError.usage(
                        "model URI '\(text)': a repository or folder takes no #sha256= pin (pin its revision instead: hf://\(repository)@COMMIT)")
                }
                location = .huggingFaceFolder(repository: repository, revision: revision, folder: String(rest))
            } else {
                location = .huggingFace(repository: repository, revision: revision, path: String(rest))
            }
            path = rest
        } else if base.hasPrefix("file://") {
            path = base.dropFirst(7)
            guard path.hasPrefix("/"), let decoded = path.percentDecoded else {
                throw LedgeError.usage("model URI '\(text)': expected file:///ABSOLUTE/PATH")
            }
            location = .file(decoded)
        } else {
            throw LedgeError.usage(
                "model URI '\(text)': expected https://, http://, s3://BUCKET/KEY, gs://BUCKET/OBJECT, hf://OWNER/REPO/PATH or file:///ABSOLUTE/PATH, optionally with #sha256=<64 hex digits>"
            )
        }
        let segment = path.split(separator: "/").last
        let last: String
        switch location {
        case .s3, .gcs, .huggingFace, .huggingFaceFolder:
            last = segment.map(String.init) ?? ""  // an object key or repository path is taken as written
        default:
            last = segment.flatMap { $0.percentDecoded } ?? ""
        }
        fileName = last.isEmpty || last == "." || last == ".." || last.contains("/") || last.contains("\0") ? "model" : last
    }

    /// `BUCKET/NAME` after `s3://` or `gs://`: a bucket name and an object's (not a folder's, no query).
    private static func bucketObject(_ rest: Substring) -> (Substring, Substring)? {
        let bucket = rest.prefix { $0 != "/" }
        let object = rest.dropFirst(bucket.count + 1)
        guard isBucketName(bucket), !object.isEmpty, !object.hasSuffix("/"), !object.contains("\0"), !object.contains("?") else { return nil }
        return (bucket, object)
    }

    /// S3's bucket naming (Cloud Storage's too, but for its 222-character dotted names): 3–63 characters; letters, digits, `.`, `-`, `_` (older buckets
    /// outside us-east-1's rules included), starting and ending with a letter or digit.
    private static func isBucketName(_ name: Substring) -> Bool {
        let bytes = Array(name.utf8)
        func alnum(_ b: UInt8) -> Bool { (0x30...0x39).contains(b) || (0x41...0x5A).contains(b) || (0x61...0x7A).contains(b) }
        guard (3...63).contains(bytes.count), let first = bytes.first, let last = bytes.last, alnum(first), alnum(last) else { return false }
        return bytes.allSatisfy { alnum($0) || $0 == 0x2E || $0 == 0x2D || $0 == 0x5F }
    }

    /// A lowercase hexadecimal digit (`0-9`, `a-f`), as pins and commits are written.
    static func isHexDigit(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x61...0x66).contains(byte)
    }
}
