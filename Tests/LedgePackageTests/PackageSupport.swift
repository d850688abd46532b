import Foundation
import LedgeCore
import LedgeTesting
import LedgeVision

/// Runs `ledge package` and reads what it wrote, for the package system tests.
enum PackageRun {
    static var arm64Helper: String { Fixtures.home + "/helpers/linux-arm64/ledge-runtime-check" }
    static var amd64Helper: String { Fixtures.home + "/helpers/linux-amd64/ledge-runtime-check" }
    static var platforms: String { Fixtures.home + "/platforms" }
    static let effnet = Fixtures.model("efficientnet_lite0.tflite")
    static let ocr = Fixtures.model("ch_ppocr_mobile_v2.0_cls_infer.onnx")

    /// `ledge package` with the arm64 test helper as the arm64 binary, fast compression,
    /// SOURCE_DATE_EPOCH fixed, no layer cache unless `XDG_CACHE_HOME` is given; `arguments`
    /// add models, platforms and the destination.
    static func ledge(_ arguments: [String], environment: [String: String] = [:]) throws -> ProcessResult {
        var environment = environment
        environment["SOURCE_DATE_EPOCH"] = environment["SOURCE_DATE_EPOCH"] ?? "1796190905"
        let cache = environment["XDG_CACHE_HOME"] == nil ? ["--no-cache"] : []
        return try ProcessRunner.ledge(
            ["package", "--binary", "linux/arm64=\(arm64Helper)", "--compression-level", "1", "--json"] + cache + arguments,
            environment: environment, timeLimit: 300)
    }

    /// The `--json` result.
    static func result(_ run: ProcessResult) throws -> [String: Any] {
        guard run.status == 0 else { throw HarnessError("ledge package failed (\(run.status)): \(run.stderr)") }
        guard let json = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any] else {
            throw HarnessError("ledge package printed no JSON: \(run.stdout)")
        }
        return json
    }

    static func scratch() throws -> String {
        let path = NSTemporaryDirectory() + "ledge-package-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Platforms (`amd64`, `arm64`) of an image index.
    static func indexPlatforms(_ data: Data) throws -> [String] {
        let index = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        let manifests = index?["manifests"] as? [[String: Any]] ?? []
        return manifests.compactMap { ($0["platform"] as? [String: Any])?["architecture"] as? String }.sorted()
    }

    /// chelsea.jpg as efficientnet_lite0 takes it: uint8 [1,224,224,3].
    static func chelseaInput(to path: String) throws {
        let spec = TensorSpec(name: "images", dtype: .uint8, shape: [1, 224, 224, 3])
        let tensor = try ImagePreprocessor(spec: spec).decodeAndPrepare(paths: [Fixtures.image("chelsea.jpg")])
        try tensor.withUnsafeBytes { try Data($0).write(to: URL(fileURLWithPath: path)) }
    }

    /// coffee.jpg as the ONNX text-orientation classifier takes it: float32 [1,3,48,192].
    static func coffeeInput(to path: String) throws {
        let spec = TensorSpec(name: "x", dtype: .float32, shape: [1, 3, 48, 192])
        let tensor = try ImagePreprocessor(spec: spec).decodeAndPrepare(paths: [Fixtures.image("coffee.jpg")])
        try tensor.withUnsafeBytes { try Data($0).write(to: URL(fileURLWithPath: path)) }
    }

    /// Every regular file under `root` that starts with the ELF magic.
    static func elfFiles(under root: String) -> [String] {
        let enumerator = FileManager.default.enumerator(atPath: root)
        var found: [String] = []
        while let relative = enumerator?.nextObject() as? String {
            let path = root + "/" + relative
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
                attributes[.type] as? FileAttributeType == .typeRegular,
                let handle = FileHandle(forReadingAtPath: path)
            else { continue }
            let magic = (try? handle.read(upToCount: 4)) ?? Data()
            try? handle.close()
            if magic == Data([0x7F, 0x45, 0x4C, 0x46]) { found.append(relative) }
        }
        return found.sorted()
    }

    /// `e_machine` of an ELF file.
    static func machine(_ path: String) throws -> UInt16 {
        let data = try Data(contentsOf: URL(fileURLWithPath: path)).prefix(20)
        return UInt16(data[data.startIndex + 18]) | UInt16(data[data.startIndex + 19]) << 8
    }

    /// A folder (or file) exists at `path`.
    static func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }
}

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Plain requests to a server under test (loopback only).
enum HTTP {
    struct Answer {
        var status: Int
        var body: Data
    }

    static func get(_ url: String) async throws -> Answer {
        try await send(URLRequest(url: URL(string: url)!))
    }

    static func post(_ url: String, body: Data, contentType: String) async throws -> Answer {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = "POST"
        request.httpBody = body
        request.setValue(contentType, forHTTPHeaderField: "Content-Type")
        return try await send(request)
    }

    private static func send(_ request: URLRequest) async throws -> Answer {
        var request = request
        request.timeoutInterval = 60
        let (data, response) = try await URLSession.shared.data(for: request)
        return Answer(status: (response as? HTTPURLResponse)?.statusCode ?? 0, body: data)
    }
}
