internal import LedgeCore
internal import LedgeFetch

/// Pushes a built image: per platform its blobs (skipping those the registry
/// has), then its manifest by digest; the index goes last, under the tag, so a
/// failure anywhere leaves the tag as it was.
enum ImagePusher {
    struct Counts: Sendable, Codable {
        var uploaded = 0
        var skipped = 0
        var uploadedBytes = 0
    }

    static func push(_ image: BuiltImage, to client: RegistryClient, tag: String, progress: Progress) async throws -> Counts {
        progress.expect(1 + image.platforms.reduce(0) { $0 + $1.layers.count + 2 })
        progress.step("checking \(client.base.hostHeader)")
        try await client.authenticate()
        var counts = Counts()
        var done: Set<String> = []
        for platform in image.platforms {
            let blobs = platform.layers.map(\.digest) + [platform.config.digest]
            for digest in blobs {
                progress.step("pushing \(platform.platform) blob \(digest.prefix(19))")
                guard done.insert(digest).inserted else { continue }
                if try await client.hasBlob(digest) {
                    counts.skipped += 1
                    continue
                }
                let bytes = try image.store.read(digest)
                try await client.upload(digest, bytes: bytes)
                counts.uploaded += 1
                counts.uploadedBytes += bytes.count
            }
            progress.step("pushing \(platform.platform) manifest")
            try await client.putManifest(try image.store.read(platform.digest), mediaType: MediaType.manifest, reference: platform.digest)
        }
        try await client.putManifest(try image.store.read(image.digest), mediaType: MediaType.index, reference: tag)
        return counts
    }
}
