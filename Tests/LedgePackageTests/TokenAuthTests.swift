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
}
