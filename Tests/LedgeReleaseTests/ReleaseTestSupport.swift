import Foundation
import LedgeCore
import LedgeTesting
import Logging

@testable import LedgeRelease

/// Set-up's platform folders, the arm64 test helper, scratch folders.
enum ReleaseFixtures {
    static var platforms: String { Fixtures.home + "/platforms" }
    static var arm64Helper: String { Fixtures.home + "/helpers/linux-arm64/ledge-runtime-check" }
    static var amd64Helper: String { Fixtures.home + "/helpers/linux-amd64/ledge-runtime-check" }
    static let logger = Logger(label: "test.release")

    static func scratch() throws -> String {
        let path = NSTemporaryDirectory() + "ledge-release-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func metadata() -> ReleaseMetadata {
        ReleaseMetadata(title: "t", version: "1", created: 0, source: "", revision: "", description: "d")
    }

    static func entry(_ model: String, name: String? = nil) -> RepositoryLayout.Entry {
        RepositoryLayout.Entry(name: name ?? (model as NSString).deletingPathExtension, model: Fixtures.model(model), labels: nil)
    }

    static func bundle(
        _ platform: ReleasePlatform, binary: String, models: [String], platforms: String = ReleaseFixtures.platforms, scratch: String
    ) throws -> ReleaseBundle {
        try ReleaseBundle.build(
            ReleaseRequest(
                platform: platform, binary: binary, models: models.map { entry($0) }, platformsDirectory: platforms,
                scratchDirectory: scratch, metadata: metadata()),
            logger: logger)
    }
}
