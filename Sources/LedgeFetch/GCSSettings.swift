#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
public import LedgeCore
internal import NIOHTTP1

/// Where `gs://` URIs are fetched from and with which credentials, as Google's client libraries
/// read them. An object is `ENDPOINT/storage/v1/b/BUCKET/o/OBJECT?alt=media` (the JSON API),
/// ENDPOINT `https://storage.googleapis.com` or `STORAGE_EMULATOR_HOST` (a fake GCS server,
/// `HOST:PORT` meaning `http://`). Credentials in Application Default Credentials' order
/// (``GCSCredentials``): the file `GOOGLE_APPLICATION_CREDENTIALS` names, else gcloud's
/// `application_default_credentials.json` (in `CLOUDSDK_CONFIG`, else `~/.config/gcloud`), else
/// the metadata server of a Google Cloud machine (GKE's Workload Identity, a VM's service
/// account), else none: public objects only. The token goes to the endpoint's host only.
public struct GCSSettings: Sendable, Hashable {
    /// The JSON API's base URL, without a trailing slash.
    public var endpoint: String
    /// Where an access token comes from; `nil`: requests go unauthenticated.
    public var credentials: GCSCredentials?
    /// The access token, once asked for (``resolved(client:)``).
    public var token: String?

    public init(endpoint: String = "https://storage.googleapis.com", credentials: GCSCredentials? = nil) {
        self.endpoint = endpoint
        self.credentials = credentials
    }

    /// The settings `environment` gives; a variable or file that cannot be used fails with a
    /// line naming it. `machineName` is what `/sys/class/dmi/id/product_name` holds (`Google
    /// Compute Engine` on Google's machines, where the metadata server answers).
    public static func from(environment: [String: String], machineName: String? = nil) throws -> GCSSettings {
        func value(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        var settings = GCSSettings()
        if let host = value("STORAGE_EMULATOR_HOST") {
            let text = host.hasPrefix("http://") || host.hasPrefix("https://") ? host : "http://" + host
            guard let url = RequestURL(text), url.target == "/" || url.target.isEmpty else {
                throw LedgeError.usage("STORAGE_EMULATOR_HOST='\(host)': expected HOST:PORT or http(s)://HOST[:PORT]")
            }
            settings.endpoint = text.hasSuffix("/") ? String(text.dropLast()) : text
        }
        if let file = value("GOOGLE_APPLICATION_CREDENTIALS") {
            settings.credentials = try GCSCredentials.file(file, variable: "GOOGLE_APPLICATION_CREDENTIALS")
        } else if let folder = value("CLOUDSDK_CONFIG") ?? value("HOME").map({ $0 + "/.config/gcloud" }),
            PathName.exists(folder + "/application_default_credentials.json")
        {
            settings.credentials = try GCSCredentials.file(folder + "/application_default_credentials.json", variable: nil)
        } else if let host = value("GCE_METADATA_HOST") {
            settings.credentials = .metadata(host: host)
        } else if (machineName ?? Self.machineName()).hasPrefix("Google") {
            settings.credentials = .metadata(host: "metadata.google.internal")
        }
        return settings
    }

    /// The settings of `given`, else of the environment, with their token asked for; errors name `uri`.
    static func resolved(_ given: GCSSettings?, for uri: String) async throws -> GCSSettings {
        do {
            return try await (given ?? GCSSettings.from(environment: ProcessInfo.processInfo.environment)).resolved()
        } catch let error as LedgeError {
            throw LedgeError(error.code, "\(uri): \(error.message)")
        }
    }

    /// These settings with the credentials' access token asked for (unchanged without credentials).
    public func resolved(client: HTTPClient = HTTPClient(timeLimit: 30)) async throws -> GCSSettings {
        guard token == nil, let credentials else { return self }
        var settings = self
        settings.token = try await credentials.accessToken(client: client)
        return settings
    }

    /// The media URL of `object` in `bucket` (the object's name percent-encoded whole, `/` too).
    public func url(bucket: String, object: String) -> String {
        "\(endpoint)/storage/v1/b/\(bucket)/o/\(object.percentEncoded(keepingSlash: false))?alt=media"
    }

    /// The headers of a request to `url`: the token, to the endpoint's own host only.
    var headers: @Sendable (RequestURL) -> [(String, String)] {
        let storage = RequestURL(endpoint + "/")
        let token = self.token
        return { url in
            guard let token, let storage, url.secure == storage.secure, url.host == storage.host, url.port == storage.port else { return [] }
            return [("Authorization", "Bearer \(token)")]
        }
    }

    private static func machineName() -> String {
        FileManager.default.contents(atPath: "/sys/class/dmi/id/product_name").map { String(decoding: $0, as: UTF8.self) } ?? ""
    }
}

extension GCSSettings {
    /// Every object of `bucket` under `prefix` (the JSON API's list, following page tokens), at
    /// most `limit` of them; errors are one line naming `label`.
    public func list(bucket: String, prefix: String, limit: Int = 10_000, label: String) async throws -> [StoredObject] {
        struct Page: Decodable {
            struct Item: Decodable {
                var name: String
                var etag: String?
                var generation: String?
                var size: String?
            }
            var items: [Item]?
            var nextPageToken: String?
        }
        let client = HTTPClient(timeLimit: 60)
        var objects: [StoredObject] = []
        var pageToken: String?
        repeat {
            var text = "\(endpoint)/storage/v1/b/\(bucket)/o?prefix=\(prefix.percentEncoded(keepingSlash: false))"
            if let pageToken { text += "&pageToken=\(pageToken.percentEncoded(keepingSlash: false))" }
            guard let url = RequestURL(text) else { throw LedgeError.usage("\(label): the storage endpoint '\(endpoint)' is not an http(s) URL") }
            let response = try await client.send(.GET, url, headers: headers(url))
            guard response.status == 200 else {
                throw LedgeError(
                    response.status == 404 ? .notFound : .remoteFailure,
                    "\(label): listing failed with HTTP \(response.status)\(GoogleAPIError.detail(response.body))")
            }
            guard let page = try? JSONDecoder().decode(Page.self, from: Data(response.body)) else {
                throw LedgeError(.remoteFailure, "\(label): the listing is not Cloud Storage's JSON (items, nextPageToken)")
            }
            for item in page.items ?? [] {
                objects.append(
                    StoredObject(key: item.name, etag: item.etag ?? item.generation ?? "", size: item.size.flatMap { Int64($0) } ?? 0))
                guard objects.count <= limit else { throw LedgeError(.tooLarge, "\(label): more than \(limit) objects") }
            }
            pageToken = page.nextPageToken
        } while pageToken != nil
        return objects
    }
}
