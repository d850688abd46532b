import Foundation
import LedgeCore
@testable import LedgeServer
import LedgeServing
import LedgeTesting
import NIOCore
import NIOPosix
import NIOSSL
import Testing

/// What `ledge serve` reloads while it serves: the tokens of an ``AccessPolicy`` (several accepted
/// at once, replaced in every copy of the policy) and the certificate pair of ``TLSCredentials``.
@Suite struct CredentialTests {
    static let first = "first-token-0123456789abcdef"
    static let second = "second-token-0123456789abcdef"

    @Test func aPolicyAcceptsAnyOfItsTokensAndAReplacementReachesEveryCopy() {
        let policy = AccessPolicy(tokens: [Self.first, Self.second])
        let copy = policy  // the gRPC server's
        #expect(copy.check(authorization: "Bearer " + Self.first, endpoint: .protected) == nil)
        #expect(copy.check(authorization: "Bearer " + Self.second, endpoint: .protected) == nil)
        #expect(copy.check(authorization: "Bearer " + Self.first + Self.second, endpoint: .protected)?.message == "invalid bearer token")
        policy.replaceGrants([.init(Self.second)])
        #expect(copy.check(authorization: "Bearer " + Self.first, endpoint: .protected)?.message == "invalid bearer token")
        #expect(copy.check(authorization: "Bearer " + Self.second, endpoint: .protected) == nil)
        #expect(copy.holds([.init(Self.second)]) && !copy.holds([.init(Self.first), .init(Self.second)]))
        #expect(!copy.holds([.init(Self.second, scopes: [.inference])]))
    }

    @Test func aTokenFileHoldsOneTokenPerLine() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ledge-tokens-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let file = folder + "/tokens"
        func read(_ text: String) throws -> [String] {
            try text.write(toFile: file, atomically: true, encoding: .utf8)
            return try AccessPolicy.readGrants(file: file, kind: "--auth-token-file", label: "F").map(\.line)
        }
        #expect(try read("  \(Self.first)  \n") == [Self.first])
        #expect(try read("\(Self.first)\n\n\(Self.second)\n") == [Self.first, Self.second])
        #expect(try read("\(Self.first)\r\n\(Self.second)\r\n") == [Self.first, Self.second])  // written on Windows
        // …and to models, before or after the scopes.
        #expect(
            try read("\(Self.first) models=gen,add\n\(Self.second) models=add inference\n")
                == [Self.first + " models=add,gen", Self.second + " inference models=add"])
        // A line may limit its token to scopes (any order, repeats ignored; tabs or spaces between).
        #expect(
            try read("\(Self.first)\n \(Self.second)  inference,metadata\n")
                == [Self.first, Self.second + " metadata,inference"])
        #expect(
            try read("\(Self.second)\tmetrics,model-repository,health,metrics\n")
                == [Self.second + " health,model-repository,metrics"])
        for (text, message) in [
            ("\n \n", "F: the token must be at least 16 characters, got 0"),
            ("short\n", "F: the token must be at least 16 characters, got 5"),
            (
                "\(Self.first)\n\ntoken/with,comma!!\n",
                "F: line 3: the token may hold only A-Z a-z 0-9 - . _ ~ + / and trailing '=' (RFC 6750 b64token)"
            ),
            (
                "\(Self.first)\n\ntwo words here, too long\n",
                "F: line 3: expected 'TOKEN', 'TOKEN SCOPE,SCOPE…', 'TOKEN models=NAME,NAME…' or both limits, got 5 fields"
            ),
            (
                "\(Self.first) inference metadata\n",
                "F: expected 'TOKEN', 'TOKEN SCOPE,SCOPE…', 'TOKEN models=NAME,NAME…' or both limits, got 3 fields"
            ),
            (
                "\(Self.first) models=a models=b\n",
                "F: expected 'TOKEN', 'TOKEN SCOPE,SCOPE…', 'TOKEN models=NAME,NAME…' or both limits, got 3 fields"
            ),
            ("\(Self.first) models=add,\n", "F: models= names a model '': expected model names separated by commas"),
            (
                "\(Self.first) inference,admin\n",
                "F: unknown scope 'admin': expected health, metadata, inference, model-repository, metrics, statistics, logging, shared-memory or trace"
            ),
            (
                "\(Self.first) inference,\n",
                "F: unknown scope '': expected health, metadata, inference, model-repository, metrics, statistics, logging, shared-memory or trace"
            ),
            ("\(Self.first)\n\(Self.second)\n\(Self.first) metrics\n", "F: line 3: the same token as line 1"),
        ] {
            #expect(throws: LedgeError.invalidInput(message)) { try read(text) }
        }
    }

    @Test func credentialsReloadOnlyAChangedValidPair() throws {
        let first = try TestCertificates(serial: 0x71)
        let renewed = try TestCertificates(serial: 0x72)
        let (certificate, key) = (first.folder + "/live.pem", first.folder + "/live.key")
        try FileManager.default.copyItem(atPath: first.certificate, toPath: certificate)
        try FileManager.default.copyItem(atPath: first.key, toPath: key)
        let tls = try ServerTLS(certificateFile: certificate, keyFile: key)
        #expect(tls.credentials.reload() == .unchanged)
        let served = tls.credentials.servedSummary
        #expect(served.hasPrefix("serial 71, valid until "), "\(served)")

        // The certificate renewed before its key: the pair does not match, the old one stays.
        try Data(contentsOf: URL(fileURLWithPath: renewed.certificate)).write(to: URL(fileURLWithPath: certificate))
        #expect(tls.credentials.reload() == .failed("--tls-key \(key): the key does not match the certificate in \(certificate)"))
        #expect(tls.credentials.servedSummary == served)
        try Data(contentsOf: URL(fileURLWithPath: renewed.key)).write(to: URL(fileURLWithPath: key))
        guard case .reloaded(let summary) = tls.credentials.reload() else {
            Issue.record("the renewed pair was not loaded")
            return
        }
        #expect(summary.hasPrefix("serial 72, valid until ") && summary.hasSuffix(" GMT"), "\(summary)")
        #expect(tls.credentials.servedSummary == summary)
        #expect(tls.credentials.reload() == .unchanged)
        try FileManager.default.removeItem(atPath: certificate)
        #expect(tls.credentials.reload() == .failed("--tls-cert file not found: \(certificate)"))
    }

    /// ``ClientTrust``: a client certificate from the CA held now is verified (leaf to root), one
    /// from another CA is not, nor a certificate whose extended key usage leaves out client
    /// authentication (the CA's own server certificate); a reload swaps the roots.
    @Test func clientTrustVerifiesAgainstTheRootsHeldNow() async throws {
        let ours = try TestCertificates()
        let theirs = try TestCertificates()
        let file = ours.folder + "/client-ca.pem"
        try FileManager.default.copyItem(atPath: ours.ca, toPath: file)
        let trust = try #require(try ServerTLS(certificateFile: ours.certificate, keyFile: ours.key, clientCAFile: file).clientTrust)
        let group = MultiThreadedEventLoopGroup.singleton
        func verify(_ pem: String) async throws -> Int? {
            let chain = try NIOSSLCertificate.fromPEMFile(pem)
            let promise = group.next().makePromise(of: NIOSSLVerificationResultWithMetadata.self)
            trust.verify(chain, promise)
            switch try await promise.futureResult.get() {
            case .certificateVerified(let metadata): return metadata.validatedCertificateChain.map { Array($0).count }
            case .failed: return nil
            }
        }
        #expect(try await verify(ours.clientCertificate) == 2)  // the client's certificate and the CA
        #expect(try await verify(theirs.clientCertificate) == nil)
        #expect(try await verify(ours.certificate) == nil)  // extendedKeyUsage=serverAuth only
        #expect(trust.reload() == .unchanged)
        try Data(contentsOf: URL(fileURLWithPath: theirs.ca)).write(to: URL(fileURLWithPath: file))
        #expect(trust.reload() == .reloaded("1 CA certificate"))
        #expect(try await verify(theirs.clientCertificate) == 2)
        #expect(try await verify(ours.clientCertificate) == nil)
    }
}
