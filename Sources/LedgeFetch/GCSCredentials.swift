internal import CryptoExtras
#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
public import LedgeCore
internal import NIOHTTP1
internal import Synchronization

/// Where a Google Cloud access token comes from (read-only Cloud Storage scope), as the
/// Application Default Credentials give one.
public enum GCSCredentials: Sendable, Hashable {
    /// A service account's key file: a JWT signed with its RSA key (RS256), exchanged at
    /// `tokenURI` for a token (OAuth 2.0's JWT bearer grant).
    case serviceAccount(email: String, keyID: String?, privateKey: String, tokenURI: String, file: String)
    /// A user's credentials (`gcloud auth application-default login`): the refresh token
    /// exchanged at `tokenURI`.
    case authorizedUser(clientID: String, clientSecret: String, refreshToken: String, tokenURI: String, file: String)
    /// The metadata server at `host` (a Google Cloud VM's service account, GKE's Workload Identity).
    case metadata(host: String)

    /// The scope asked for: reading objects.
    static let scope = "https://www.googleapis.com/auth/devstorage.read_only"
    static let defaultTokenURI = "https://oauth2.googleapis.com/token"

    /// The credentials of a JSON credentials file; `variable` names where its path came from.
    static func file(_ path: String, variable: String?) throws -> GCSCredentials {
        let named = variable.map { "\($0)='\(path)'" } ?? path
        guard let data = FileManager.default.contents(atPath: path) else { throw LedgeError.usage("\(named): cannot read it") }
        struct File: Decodable {
            var type: String?
            var client_email: String?
            var private_key_id: String?
            var private_key: String?
            var token_uri: String?
            var client_id: String?
            var client_secret: String?
            var refresh_token: String?
        }
        guard let file = try? JSONDecoder().decode(File.self, from: data) else {
            throw LedgeError.usage(
                "\(named): expected a Google credentials JSON file (a service account key or gcloud's application default credentials)")
        }
        let tokenURI = file.token_uri ?? defaultTokenURI
        switch file.type {
        case "service_account":
            guard let email = file.client_email, let key = file.private_key else {
                throw LedgeError.usage("\(named): a service account key without client_email or private_key")
            }
            return .serviceAccount(email: email, keyID: file.private_key_id, privateKey: key, tokenURI: tokenURI, file: path)
        case "authorized_user":
            guard let id = file.client_id, let secret = file.client_secret, let refresh = file.refresh_token else {
                throw LedgeError.usage("\(named): authorized_user credentials without client_id, client_secret or refresh_token")
            }
            return .authorizedUser(clientID: id, clientSecret: secret, refreshToken: refresh, tokenURI: tokenURI, file: path)
        default:
            throw LedgeError.usage(
                "\(named): credentials of type '\(file.type ?? "")': expected service_account or authorized_user (else use the metadata server, or a signed https:// URL)"
            )
        }
    }

    /// Tokens a token endpoint issued to this process, by credentials (their file), with the
    /// second they are good until: a repository synced at every poll asks Google's OAuth endpoint
    /// once an hour, not every poll. The metadata server, on the machine's own link, is asked each time.
    private static let issued = Mutex<[GCSCredentials: (token: String, until: Int)]>([:])

    /// An access token: one issued before and good for another minute, else a new one; errors
    /// are one line naming what was asked.
    func accessToken(client: HTTPClient, now: Int = Int(Date().timeIntervalSince1970)) async throws -> String {
        if let kept = Self.issued.withLock({ $0[self] }), kept.until > now { return kept.token }
        let (token, lifetime) = try await newToken(client: client, now: now)
        if case .metadata = self { return token }
        Self.issued.withLock { $0[self] = (token, now + max(0, (lifetime ?? 0) - 60)) }
        return token
    }

    /// A new access token and its lifetime in seconds (`expires_in`).
    private func newToken(client: HTTPClient, now: Int) async throws -> (String, Int?) {
        switch self {
        case .serviceAccount(let email, let keyID, let privateKey, let tokenURI, let file):
            let assertion = try Self.assertion(email: email, keyID: keyID, privateKey: privateKey, audience: tokenURI, now: now, file: file)
            return try await Self.exchange(
                [("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"), ("assertion", assertion)], at: tokenURI, client: client,
                what: "the token of service account \(email) at \(tokenURI)")
        case .authorizedUser(let clientID, let clientSecret, let refreshToken, let tokenURI, _):
            return try await Self.exchange(
                [
                    ("grant_type", "refresh_token"), ("client_id", clientID), ("client_secret", clientSecret),
                    ("refresh_token", refreshToken),
                ], at: tokenURI, client: client, what: "the token of user credentials \(clientID) at \(tokenURI)")
        case .metadata(let host):
            let text = "http://\(host)/computeMetadata/v1/instance/service-accounts/default/token"
            guard let url = RequestURL(text) else { throw LedgeError.usage("GCE_METADATA_HOST='\(host)': expected HOST[:PORT]") }
            let what = "the metadata server's token at \(text)"
            let response: HTTPResponse
            do {
                response = try await HTTPClient(timeLimit: 5).send(.GET, url, headers: [("Metadata-Flavor", "Google")])
            } catch let error as LedgeError {
                throw LedgeError(.remoteFailure, "\(what): \(error.message)")
            }
            return try Self.token(in: response, what: what)
        }
    }

    /// The signed JWT a service account sends: header and claims base64url-encoded, RS256.
    static func assertion(email: String, keyID: String?, privateKey: String, audience: String, now: Int, file: String) throws -> String {
        let key: _RSA.Signing.PrivateKey
        do {
            key = try _RSA.Signing.PrivateKey(pemRepresentation: privateKey)
        } catch {
            throw LedgeError.usage("\(file): private_key is not an RSA private key in PEM of at least 2048 bits")
        }
        var header: [String: String] = ["alg": "RS256", "typ": "JWT"]
        if let keyID { header["kid"] = keyID }
        let claims: [String: JSONClaim] = [
            "iss": .text(email), "scope": .text(scope), "aud": .text(audience), "iat": .number(now), "exp": .number(now + 3600),
        ]
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let input = base64URL(try encoder.encode(header)) + "." + base64URL(try encoder.encode(claims))
        let signature = try key.signature(for: Data(input.utf8), padding: .insecurePKCS1v1_5)
        return input + "." + base64URL(signature.rawRepresentation)
    }

    /// A claim's value: a string or a number of seconds.
    enum JSONClaim: Encodable {
        case text(String)
        case number(Int)

        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .text(let text): try container.encode(text)
            case .number(let number): try container.encode(number)
            }
        }
    }

    static func base64URL(_ data: Data) -> String {
        String(data.base64EncodedString().compactMap { $0 == "+" ? "-" : $0 == "/" ? "_" : $0 == "=" ? nil : $0 })
    }

    /// POSTs `form` to `tokenURI` and reads the access token from the answer.
    private static func exchange(_ form: [(String, String)], at tokenURI: String, client: HTTPClient, what: String) async throws -> (String, Int?) {
        guard let url = RequestURL(tokenURI) else { throw LedgeError.usage("\(what): token_uri is not an http(s) URL") }
        let body = form.map { "\($0.0)=\($0.1.percentEncoded(keepingSlash: false))" }.joined(separator: "&")
        let response: HTTPResponse
        do {
            response = try await client.send(
                .POST, url, headers: [("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json")],
                body: Array(body.utf8))
        } catch let error as LedgeError {
            throw LedgeError(.remoteFailure, "\(what): \(error.message)")
        }
        return try token(in: response, what: what)
    }

    /// `access_token` and `expires_in` of an OAuth answer; an error answer's `error` and
    /// `error_description` in the line.
    private static func token(in response: HTTPResponse, what: String) throws -> (String, Int?) {
        struct Answer: Decodable {
            var access_token: String?
            var expires_in: Int?
            var error: String?
            var error_description: String?
        }
        let answer = try? JSONDecoder().decode(Answer.self, from: Data(response.body))
        guard response.status == 200, let token = answer?.access_token, !token.isEmpty else {
            let detail = [answer?.error, answer?.error_description].compactMap { $0 }.map { ": \($0.prefix(200))" }.joined()
            throw LedgeError(
                .remoteFailure, "\(what): HTTP \(response.status)\(detail.isEmpty && response.status == 200 ? ": no access_token" : detail)")
        }
        return (token, answer?.expires_in)
    }
}

/// Google APIs' JSON errors, as Cloud Storage answers them.
enum GoogleAPIError {
    /// `: MESSAGE` of `{"error": {"code": 404, "message": "No such object: b/o"}}`, empty for any other body.
    static func detail(_ body: [UInt8]) -> String {
        struct Answer: Decodable {
            struct Failure: Decodable { var message: String }
            var error: Failure
        }
        guard body.first == UInt8(ascii: "{"), let answer = try? JSONDecoder().decode(Answer.self, from: Data(body)) else { return "" }
        return ": \(answer.error.message.prefix(300))"
    }
}
