#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
public import LedgeCore

/// Where `s3://BUCKET/KEY` model URIs are fetched from and how the requests are signed, read
/// from the variables the AWS CLI and SDKs read — and those of KServe's storage initializer, so
/// a KServe `InferenceService`'s S3 secret works unchanged:
///
/// - endpoint: `AWS_ENDPOINT_URL_S3`, else `AWS_ENDPOINT_URL` (`http(s)://HOST[:PORT]`), else
///   KServe's `S3_ENDPOINT` (`HOST[:PORT]`, https unless `S3_USE_HTTPS=0`): a MinIO, Ceph or
///   other S3-compatible store, addressed path-style (`ENDPOINT/BUCKET/KEY`). Without one,
///   AWS itself: `https://BUCKET.s3.REGION.amazonaws.com/KEY` (path-style for bucket names
///   that are not DNS labels).
/// - region: `AWS_REGION`, else `AWS_DEFAULT_REGION`, else `us-east-1`.
/// - credentials: `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY` (with `AWS_SESSION_TOKEN`
///   for temporary ones), else EKS's web identity (IRSA: `AWS_WEB_IDENTITY_TOKEN_FILE`,
///   `AWS_ROLE_ARN`), else the profile `AWS_PROFILE` (else `default`) of the shared
///   credentials file (`AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/credentials`), else the
///   container endpoint of ECS task roles and EKS Pod Identity
///   (`AWS_CONTAINER_CREDENTIALS_FULL_URI` / `_RELATIVE_URI`; ``AWSCredentialProvider``), else
///   none: unsigned requests, which public buckets answer.
public struct S3Settings: Sendable, Hashable {
    /// A custom endpoint (path-style addressing), or `nil` for AWS.
    public var endpoint: RequestURL?
    public var region: String
    /// `nil`: requests go unsigned (unless ``provider`` gives credentials).
    public var credentials: AWSCredentials?
    /// Where temporary credentials are asked for at each fetch, when ``credentials`` is `nil`.
    public var provider: AWSCredentialProvider?

    public init(endpoint: RequestURL?, region: String, credentials: AWSCredentials?, provider: AWSCredentialProvider? = nil) {
        self.endpoint = endpoint
        self.region = region
        self.credentials = credentials
        self.provider = provider
    }

    /// `given`, else the process environment's settings, with the provider's credentials asked
    /// for; errors name `uri` first (what a fetch or a mirror sync reports).
    static func resolved(_ given: S3Settings?, for uri: String) async throws -> S3Settings {
        do {
            return try await (given ?? S3Settings.from(environment: ProcessInfo.processInfo.environment)).resolved()
        } catch let error as LedgeError {
            throw LedgeError(error.code, "\(uri): \(error.message)")
        }
    }

    /// The headers of each request to `url`, signed when it is made (a download's tries and resumes).
    var signing: @Sendable (RequestURL) -> [(String, String)] { { [self] url in headers(for: url, seconds: Self.now()) } }

    /// These settings with the provider's credentials asked for (unchanged without a provider).
    public func resolved(client: HTTPClient = HTTPClient(timeLimit: 30)) async throws -> S3Settings {
        guard credentials == nil, let provider else { return self }
        var settings = self
        settings.credentials = try await provider.credentials(client: client)
        return settings
    }

    /// The settings `environment` gives; a variable that cannot be used fails with a line naming it.
    public static func from(environment: [String: String]) throws -> S3Settings {
        func value(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        var endpoint: RequestURL?
        if let name = ["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"].first(where: { value($0) != nil }), let text = value(name) {
            guard let url = RequestURL(text), url.target == "/" || url.target.isEmpty else {
                throw LedgeError.usage("\(name)='\(text)': expected http(s)://HOST[:PORT]")
            }
            endpoint = url
        } else if let text = value("S3_ENDPOINT") {
            let secure = value("S3_USE_HTTPS") != "0"
            let bare = text.hasPrefix("http://") || text.hasPrefix("https://") ? text : (secure ? "https://" : "http://") + text
            guard let url = RequestURL(bare), url.target == "/" || url.target.isEmpty else {
                throw LedgeError.usage("S3_ENDPOINT='\(text)': expected HOST[:PORT]")
            }
            endpoint = url
        }
        let region = value("AWS_REGION") ?? value("AWS_DEFAULT_REGION") ?? "us-east-1"
        guard region.utf8.allSatisfy({ Self.isLabelByte($0) }) else {
            throw LedgeError.usage("AWS_REGION='\(region)': expected a region name such as eu-west-1")
        }
        switch (value("AWS_ACCESS_KEY_ID"), value("AWS_SECRET_ACCESS_KEY")) {
        case (let id?, let secret?):
            let credentials = AWSCredentials(accessKeyID: id, secretAccessKey: secret, sessionToken: value("AWS_SESSION_TOKEN"))
            return S3Settings(endpoint: endpoint, region: region, credentials: credentials)
        case (nil, nil):
            break
        default:
            throw LedgeError.usage("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY: expected both or neither")
        }
        // The SDKs' order: web identity before the shared file, the container endpoint after it.
        let provider = try AWSCredentialProvider.from(environment: environment, region: region)
        if case .webIdentity? = provider { return S3Settings(endpoint: endpoint, region: region, credentials: nil, provider: provider) }
        if let shared = try sharedCredentials(environment) { return S3Settings(endpoint: endpoint, region: region, credentials: shared) }
        return S3Settings(endpoint: endpoint, region: region, credentials: nil, provider: provider)
    }

    /// The URL of `key` in `bucket`.
    public func url(bucket: String, key: String) -> RequestURL {
        let path = key.percentEncoded(keepingSlash: true)
        if var base = endpoint {
            base.target = "/\(bucket)/\(path)"
            return base
        }
        let virtual = bucket.utf8.allSatisfy { Self.isLabelByte($0) } && bucket.utf8.count <= 63
        return virtual
            ? RequestURL(secure: true, host: "\(bucket).s3.\(region).amazonaws.com", port: 443, target: "/\(path)")
            : RequestURL(secure: true, host: "s3.\(region).amazonaws.com", port: 443, target: "/\(bucket)/\(path)")
    }

    /// The headers of a `GET` of `url` made at `seconds` since 1970: signed with the
    /// credentials, none without them.
    public func headers(for url: RequestURL, seconds: Int64) -> [(String, String)] {
        guard let credentials else { return [] }
        return SigV4.getHeaders(url, region: region, credentials: credentials, seconds: seconds)
    }

    /// Lower-case letters, digits and `-`: a DNS label as S3 bucket names and AWS regions use them.
    private static func isLabelByte(_ byte: UInt8) -> Bool {
        (0x61...0x7A).contains(byte) || (0x30...0x39).contains(byte) || byte == 0x2D
    }

    /// The profile's keys from the shared credentials file (an INI file), `nil` when there is no file.
    private static func sharedCredentials(_ environment: [String: String]) throws -> AWSCredentials? {
        let explicit = environment["AWS_SHARED_CREDENTIALS_FILE"].flatMap { $0.isEmpty ? nil : $0 }
        guard let path = explicit ?? environment["HOME"].map({ $0 + "/.aws/credentials" }) else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else {
            if explicit != nil { throw LedgeError.usage("AWS_SHARED_CREDENTIALS_FILE='\(path)': cannot read it") }
            return nil
        }
        let profile = environment["AWS_PROFILE"].flatMap { $0.isEmpty ? nil : $0 } ?? "default"
        var section: String?
        var fields: [String: String] = [:]
        for raw in String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline) {
            let line = raw.trimmingWhitespace()
            if line.hasPrefix("#") || line.hasPrefix(";") || line.isEmpty { continue }
            if line.hasPrefix("[") && line.hasSuffix("]") {
                section = String(line.dropFirst().dropLast()).trimmingWhitespace()
                continue
            }
            guard section == profile, let equals = line.firstIndex(of: "=") else { continue }
            fields[line[..<equals].trimmingWhitespace().lowercased()] =
                line[line.index(after: equals)...].trimmingWhitespace()
        }
        guard let id = fields["aws_access_key_id"], let secret = fields["aws_secret_access_key"] else {
            if environment["AWS_PROFILE"] != nil || !fields.isEmpty {
                throw LedgeError.usage("\(path): profile '\(profile)' has no aws_access_key_id and aws_secret_access_key")
            }
            return nil
        }
        return AWSCredentials(accessKeyID: id, secretAccessKey: secret, sessionToken: fields["aws_session_token"])
    }
}
