import Foundation
import LedgeTesting
import Testing

/// The bearer-token flow Docker Hub, GHCR and Harbor use: the push answers the registry's
/// challenge with a token fetched from its realm with basic credentials and the push scope.
@Suite(.serialized, .ownThread) struct TokenAuthTests {
    @Test func pushGetsATokenForThePushScopeAndUsesIt() async throws {
        try await FaultyRegistryProcess.withFaultyRegistry(script: "token_registry.py", arguments: ["robot:t0ken-pass"]) { registry in
            let push = ["-m", PackageRun.effnet, "--platform", "linux/amd64", "--push", "\(registry.host)/team/effnet:2", "--insecure-registry"]
            let run = try PackageRun.ledge(push, environment: ["LEDGE_REGISTRY_USER": "robot", "LEDGE_REGISTRY_PASSWORD": "t0ken-pass"])
            let result = try PackageRun.result(run)
            #expect(result["uploadedBlobs"] as? Int == 4)
            #expect(registry.tokenRequests() == ["robot repository:team/effnet:pull,push"])
            let digest = try #require(result["indexDigest"] as? String)
            #expect(registry.manifestPuts().last == "/v2/team/effnet/manifests/2")
            #expect(registry.manifestPuts().count == 2)  // the platform's manifest by digest, then the index by tag
            #expect(!digest.isEmpty)

            let refused = try PackageRun.ledge(push, environment: ["LEDGE_REGISTRY_USER": "robot", "LEDGE_REGISTRY_PASSWORD": "nope"])
            #expect(refused.status == 4)
            #expect(
                refused.stderr == "error: registry \(registry.host) token service \(registry.host) refused the credentials for user 'robot' (401)\n")
        }
    }

    /// A registry that answers "later" once to each kind of request (429 for the token and the
    /// manifest, 503 for the blob's HEAD and upload, each with `Retry-After: 0`): the push
    /// tries each again, warns once for each, and succeeds.
    @Test func pushTriesAgainWhenTheRegistryIsBusy() async throws {
        try await FaultyRegistryProcess.withFaultyRegistry(script: "token_registry.py", arguments: ["robot:t0ken-pass", "--busy"]) {
            registry in
            let push = ["-m", PackageRun.effnet, "--platform", "linux/amd64", "--push", "\(registry.host)/team/effnet:3", "--insecure-registry"]
            let run = try PackageRun.ledge(push, environment: ["LEDGE_REGISTRY_USER": "robot", "LEDGE_REGISTRY_PASSWORD": "t0ken-pass"])
            let result = try PackageRun.result(run)
            #expect(result["uploadedBlobs"] as? Int == 4)
            let busy = registry.busyAnswers()
            #expect(busy.count == 4, "\(busy)")
            #expect(busy.first == "GET /token" && busy.last == "PUT /v2/team/effnet/manifests/\(busy.last?.split(separator: "/").last ?? "")")
            #expect(registry.manifestPuts().last == "/v2/team/effnet/manifests/3")
            let host = registry.host
            let warnings = run.stderr.split(separator: "\n").map(String.init).filter { $0.hasPrefix("warning: ") }
            #expect(warnings.count == 4, "\(run.stderr)")  // a HEAD's answer has no body: no registry message
            #expect(
                warnings.first
                    == "warning: registry \(host): GET token from \(host) for team/effnet failed with 429: TOOMANYREQUESTS try again later; trying again in 0 s"
            )
            #expect(
                warnings.contains {
                    $0.hasPrefix("warning: registry \(host): HEAD blob sha256:")
                        && $0.hasSuffix(" for team/effnet failed with 503; trying again in 0 s")
                })
            #expect(
                warnings.contains {
                    $0.hasPrefix("warning: registry \(host): upload of sha256:")
                        && $0.hasSuffix(" failed with 503: UNAVAILABLE try again later; trying again in 0 s")
                })
            #expect(
                warnings.contains {
                    $0.hasPrefix("warning: registry \(host): PUT manifest sha256:")
                        && $0.hasSuffix(" failed with 429: TOOMANYREQUESTS try again later; trying again in 0 s")
                })
        }
    }
}
