#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
public import LedgeCore
internal import NIOHTTP1
internal import Synchronization

/// Where temporary AWS credentials come from when none are given as keys: what a pod on EKS or a
/// task on ECS has, as the AWS SDKs read it.
public enum AWSCredentialProvider: Sendable, Hashable {
    /// EKS's IAM roles for service accounts (IRSA): the projected token in `tokenFile` exchanged
    /// for `role`'s credentials with STS `AssumeRoleWithWebIdentity` (an unsigned call) at `sts`.
    case webIdentity(role: String, tokenFile: String, session: String, sts: RequestURL)
    /// ECS task roles and EKS Pod Identity: a `GET` of `url` (with the token, or the file's
    /// contents, as `Authorization`) answers the credentials as JSON.
    case container(url: RequestURL, token: String?, tokenFile: String?)
    /// An EC2 instance's role, from the instance metadata service (IMDSv2: a session token
    /// `PUT`, then the role's name and its credentials) at `endpoint`. No answer within
    /// `timeout` seconds in `attempts` tries, or no role, means no credentials (the machine is
    /// not an EC2 instance, or has no role).
    case instanceMetadata(endpoint: RequestURL, timeout: Int64 = 1, attempts: Int = 1)

    /// The provider `environment` names, `nil` when none: `AWS_WEB_IDENTITY_TOKEN_FILE` with
    /// `AWS_ROLE_ARN` (and `AWS_ROLE_SESSION_NAME`; STS at `AWS_ENDPOINT_URL_STS`, else
    /// `AWS_ENDPOINT_URL`, else `https://sts.REGION.amazonaws.com`), else
    /// `AWS_CONTAINER_CREDENTIALS_FULL_URI` (https, or http to a loopback or the ECS/EKS
    /// link-local address) or `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` (on 169.254.170.2), with
    /// `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE` or `AWS_CONTAINER_AUTHORIZATION_TOKEN`.
    static func from(environment: [String: String], region: String) throws -> AWSCredentialProvider? {
        func value(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        if let tokenFile = value("AWS_WEB_IDENTITY_TOKEN_FILE") {
            guard let role = value("AWS_ROLE_ARN") else {
                throw LedgeError.usage("AWS_WEB_IDENTITY_TOKEN_FILE is set without AWS_ROLE_ARN: expected the role to assume")
            }
            var sts = RequestURL(secure: true, host: "sts.\(region).amazonaws.com", port: 443, target: "/")
            if let name = ["AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL"].first(where: { value($0) != nil }), let text = value(name) {
                guard let url = RequestURL(text) else { throw LedgeError.usage("\(name)='\(text)': expected http(s)://HOST[:PORT]") }
                sts = url
            }
            return .webIdentity(role: role, tokenFile: tokenFile, session: value("AWS_ROLE_SESSION_NAME") ?? "ledge", sts: sts)
        }
        let url: RequestURL
        if let text = value("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") {
            guard text.hasPrefix("/"), let relative = RequestURL("http://169.254.170.2" + text) else {
                throw LedgeError.usage("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI='\(text)': expected a path")
            }
            url = relative
        } else if let text = value("AWS_CONTAINER_CREDENTIALS_FULL_URI") {
            // The SDKs' rule: plain http only to this machine or the container agents' addresses.
            guard let full = RequestURL(text),
                full.secure || full.host.hasPrefix("127.") || full.host == "localhost" || full.host == "::1"
                    || full.host == "169.254.170.2" || full.host == "169.254.170.23" || full.host == "fd00:ec2::23"
            else {
                throw LedgeError.usage(
                    "AWS_CONTAINER_CREDENTIALS_FULL_URI='\(text)': expected https://…, or http:// to a loopback address or 169.254.170.2/.23")
            }
            url = full
        } else {
            guard value("AWS_EC2_METADATA_DISABLED")?.lowercased() != "true" else { return nil }
            let text = value("AWS_EC2_METADATA_SERVICE_ENDPOINT") ?? "http://169.254.169.254"
            guard let endpoint = RequestURL(text), endpoint.target == "/" else {
                throw LedgeError.usage("AWS_EC2_METADATA_SERVICE_ENDPOINT='\(text)': expected http(s)://HOST[:PORT]")
            }
            // The SDKs' AWS_METADATA_SERVICE_TIMEOUT (seconds, default 1) and _NUM_ATTEMPTS (default 1).
            let timeout = value("AWS_METADATA_SERVICE_TIMEOUT").flatMap { Double($0) }.map { Int64($0.rounded(.up)) } ?? 1
            let attempts = value("AWS_METADATA_SERVICE_NUM_ATTEMPTS").flatMap { Int($0) } ?? 1
            return .instanceMetadata(endpoint: endpoint, timeout: min(max(timeout, 1), 60), attempts: min(max(attempts, 1), 10))
        }
        return .container(
            url: url, token: value("AWS_CONTAINER_AUTHORIZATION_TOKEN"), tokenFile: value("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"))
    }

    /// Credentials STS gave this process, by provider (its token file and role), with the second
    /// they expire: a repository synced at every poll calls STS again only near the end. The
    /// container endpoint and the instance metadata service, agents on the machine's own link,
    /// are asked each time.
    private static let issued = Mutex<[AWSCredentialProvider: (credentials: AWSCredentials, expiration: Int64)]>([:])

    /// The credentials (`nil`: none to be had): STS's given before while they have five more
    /// minutes (as the AWS SDKs refresh), else new ones; errors are one line naming what was asked.
    func credentials(client: HTTPClient, now: Int64 = Int64(Date().timeIntervalSince1970)) async throws -> AWSCredentials? {
        if let kept = Self.issued.withLock({ $0[self] }), kept.expiration - 300 > now { return kept.credentials }
        guard let (credentials, expiration) = try await newCredentials(client: client) else { return nil }
        if case .webIdentity = self, let expiration { Self.issued.withLock { $0[self] = (credentials, expiration) } }
        return credentials
    }

    /// New credentials and when they expire (`Expiration`, when the answer says).
    private func newCredentials(client: HTTPClient) async throws -> (AWSCredentials, Int64?)? {
        switch self {
        case .instanceMetadata(let endpoint, let timeout, let attempts):
            for _ in 0..<(attempts - 1) {
                if let credentials = try await Self.instanceCredentials(endpoint, timeout: timeout) { return credentials }
            }
            return try await Self.instanceCredentials(endpoint, timeout: timeout)
        case .webIdentity(let role, let tokenFile, let session, let sts):
            guard let token = FileManager.default.contents(atPath: tokenFile).map({ String(decoding: $0, as: UTF8.self) }) else {
                throw LedgeError.usage("AWS_WEB_IDENTITY_TOKEN_FILE='\(tokenFile)': cannot read it")
            }
            let form = [
                ("Action", "AssumeRoleWithWebIdentity"), ("Version", "2011-06-15"), ("RoleArn", role), ("RoleSessionName", session),
                ("WebIdentityToken", token.trimmingWhitespaceAndNewlines()),
            ].map { "\($0.0)=\($0.1.percentEncoded(keepingSlash: false))" }.joined(separator: "&")
            let response = try await client.send(
                .POST, sts, headers: [("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/xml")],
                body: Array(form.utf8))
            let what = "STS AssumeRoleWithWebIdentity for \(role) at \(sts.text)"
            let text = String(decoding: response.body, as: UTF8.self)
            guard response.status == 200 else {
                throw LedgeError(.remoteFailure, "\(what): HTTP \(response.status)\(HTTPClient.storeErrorDetail(response.body))")
            }
            guard let id = XMLText.element("AccessKeyId", in: text), let secret = XMLText.element("SecretAccessKey", in: text),
                let sessionToken = XMLText.element("SessionToken", in: text)
            else { throw LedgeError(.remoteFailure, "\(what): the answer holds no Credentials") }
            return (
                AWSCredentials(accessKeyID: id, secretAccessKey: secret, sessionToken: sessionToken),
                XMLText.element("Expiration", in: text).flatMap(Self.epochSeconds)
            )
        case .container(let url, let token, let tokenFile):
            var authorization = token
            if let tokenFile {
                guard let data = FileManager.default.contents(atPath: tokenFile) else {
                    throw LedgeError.usage("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE='\(tokenFile)': cannot read it")
                }
                authorization = String(decoding: data, as: UTF8.self).trimmingWhitespaceAndNewlines()
            }
            let response = try await client.send(.GET, url, headers: authorization.map { [("Authorization", $0)] } ?? [])
            return try Self.jsonCredentials(response, what: "container credentials at \(url.text)")
        }
    }
}

extension AWSCredentialProvider {
    /// IMDSv2: a session token, the role's name, its credentials; `nil` when there is no answer
    /// within `timeout` seconds or no role.
    static func instanceCredentials(_ endpoint: RequestURL, timeout: Int64) async throws -> (AWSCredentials, Int64?)? {
        let client = HTTPClient(timeLimit: timeout)
        func url(_ path: String) -> RequestURL {
            var url = endpoint
            url.target = path
            return url
        }
        guard
            let session = try? await client.send(
                .PUT, url("/latest/api/token"), headers: [("X-aws-ec2-metadata-token-ttl-seconds", "21600")], body: []),
            session.status == 200
        else { return nil }
        let token = [("X-aws-ec2-metadata-token", String(decoding: session.body, as: UTF8.self))]
        let folder = "/latest/meta-data/iam/security-credentials/"
        guard let roles = try? await client.send(.GET, url(folder), headers: token), roles.status == 200,
            let role = String(decoding: roles.body, as: UTF8.self).split(whereSeparator: \.isNewline).first
        else { return nil }
        let answer = try await client.send(.GET, url(folder + String(role).percentEncoded(keepingSlash: false)), headers: token)
        return try jsonCredentials(answer, what: "instance metadata credentials of role \(role) at \(endpoint.text)")
    }

    /// The keys of the JSON the container endpoint and the instance metadata service both answer
    /// (`AccessKeyId`, `SecretAccessKey`, `Token`); `what` names the endpoint in errors.
    static func jsonCredentials(_ response: HTTPResponse, what: String) throws -> (AWSCredentials, Int64?) {
        struct Answer: Decodable {
            var AccessKeyId: String
            var SecretAccessKey: String
            var Token: String?
            var Expiration: String?
        }
        guard response.status == 200 else { throw LedgeError(.remoteFailure, "\(what): HTTP \(response.status)") }
        guard let answer = try? JSONDecoder().decode(Answer.self, from: Data(response.body)) else {
            throw LedgeError(.remoteFailure, "\(what): the answer is not JSON with AccessKeyId and SecretAccessKey")
        }
        return (
            AWSCredentials(accessKeyID: answer.AccessKeyId, secretAccessKey: answer.SecretAccessKey, sessionToken: answer.Token),
            answer.Expiration.flatMap(epochSeconds)
        )
    }

    /// Seconds since 1970 of an ISO 8601 UTC time as AWS writes `Expiration`
    /// (`2026-12-06T09:05:00Z`, fractions of a second allowed); `nil` for anything else.
    static func epochSeconds(_ text: String) -> Int64? {
        let bytes = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int64? {
            guard range.upperBound <= bytes.count, range.allSatisfy({ (0x30...0x39).contains(bytes[$0]) }) else { return nil }
            return range.reduce(Int64(0)) { $0 * 10 + Int64(bytes[$1] - 0x30) }
        }
        guard bytes.count >= 20, bytes[4] == 0x2D, bytes[7] == 0x2D, bytes[10] == 0x54, bytes[13] == 0x3A, bytes[16] == 0x3A,
            bytes.last == 0x5A, let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
            let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19), (1...12).contains(month),
            (1...31).contains(day), hour < 24, minute < 60, second < 61, bytes.count == 20 || bytes[19] == 0x2E
        else { return nil }
        // Days from 1970-01-01 to the date (the proleptic Gregorian calendar's civil-from-days inverse).
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        return days * 86_400 + hour * 3_600 + minute * 60 + second
    }
}

/// The text of a simple XML element (no attributes, no nesting of the same name), as AWS's
/// query-protocol answers and S3's errors hold them.
enum XMLText {
    static func element(_ name: String, in text: String) -> String? {
        guard let open = text.firstRange(of: "<\(name)>"), let close = text[open.upperBound...].firstRange(of: "</\(name)>") else {
            return nil
        }
        let value = String(text[open.upperBound..<close.lowerBound])
        return value.isEmpty ? nil : value
    }
}
