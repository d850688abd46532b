import Foundation
import LedgeCore
@testable import LedgeServing
import LedgeTesting
import Testing

/// Model files sent with a load (Triton's `file:<path>` load parameters): what may be sent, where
/// it is written, that it is loaded instead of the repository folder, and that nothing stays behind.
@Suite(.ownThread) struct ModelUploadTests {
    static let addOne = try! Data(contentsOf: URL(fileURLWithPath: Fixtures.model("add_one.onnx")))

    /// The upload folders in `folder`.
    static func folders(_ folder: String) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
    }

    /// The files of `folder`, relative, sorted.
    static func files(_ folder: String) -> [String] {
        (FileManager.default.enumerator(atPath: folder)?.allObjects as? [String] ?? []).sorted()
    }

    @Test(arguments: [
        "file:../model.onnx", "file:1/../model.onnx", "file:/model.onnx", "file:", "file:models/model.onnx", "file:1/2/model.onnx",
        "file:.model.onnx", "file:01/model.onnx", "file:1//model.onnx", "file:1/",
    ])
    func pathsOutsideTheModelFolderAreRefused(key: String) {
        #expect(
            throws: LedgeError.invalidInput(
                "load parameter '\(key)' is not a file of a model folder: expected file:<version>/<file> (file:1/model.onnx), file:warmup/<file> or file:<file>, "
                    + "each a name of letters, digits, '-', '_' or '.'")
        ) { try ModelUpload.parts(of: key) }
    }

    @Test func versionWarmupAndTopLevelFilesAreTaken() throws {
        #expect(try ModelUpload.parts(of: "file:1/model.onnx") == ["1", "model.onnx"])
        #expect(try ModelUpload.parts(of: "file:12/model.tflite") == ["12", "model.tflite"])
        #expect(try ModelUpload.parts(of: "file:warmup/sample.bin") == ["warmup", "sample.bin"])
        #expect(try ModelUpload.parts(of: "file:labels.txt") == ["labels.txt"])
        #expect(
            throws: LedgeError.invalidInput(
                "load parameter 'file:config.pbtxt': the configuration of uploaded files comes as JSON in the load's 'config' parameter, not as a file"
            )
        ) { try ModelUpload.parts(of: "file:config.pbtxt") }
    }

    @Test func filesAreWrittenToAFolderOfTheirOwnAndRemovedWithIt() async throws {
        try await withTemporaryDirectory { directory in
            let settings = UploadSettings(directory: directory + "/uploads", maxBytes: 1000, maxFiles: 3)
            var folder: UploadedFolder? = try ModelUpload.write(
                ["file:1/model.onnx": Self.addOne, "file:labels.txt": Data("x\ny\n".utf8)], model: "add", hasConfig: true, settings: settings)
            let path = try #require(folder?.path)
            #expect(path.hasPrefix(directory + "/uploads/\(getpid())-add-"))
            #expect(Self.files(path) == ["1", "1/model.onnx", "labels.txt"])
            #expect(FileManager.default.contents(atPath: path + "/1/model.onnx") == Self.addOne)
            #expect(
                folder?.naming(LedgeError.invalidModel("\(path)/1/model.onnx: broken; \(path) has no config"))
                    == LedgeError.invalidModel("file:1/model.onnx: broken; the load's files has no config"))
            folder = nil
            #expect(!FileManager.default.fileExists(atPath: path))
            #expect(Self.files(directory + "/uploads").isEmpty)
        }
    }

    @Test func loadsWithFilesAreCheckedBeforeAnythingIsWritten() async throws {
        try await withTemporaryDirectory { directory in
            let settings = UploadSettings(directory: directory, maxBytes: 300, maxFiles: 2)
            let model = ["file:1/model.onnx": Self.addOne]
            for (files, hasConfig, settings, error) in [
                (
                    model, true, nil,
                    LedgeError.invalidInput("load parameter 'file:1/model.onnx' is not supported: this server takes no model files with a load")
                ),
                (
                    model, false, settings,
                    LedgeError.invalidInput(
                        "load parameter 'file:1/model.onnx' needs the load's 'config' parameter: files sent with a load form the model's folder, "
                            + "and its configuration comes as JSON in 'config'")
                ),
                (
                    ["file:1/model.onnx": Self.addOne, "file:2/model.onnx": Self.addOne], true, settings,
                    LedgeError(.tooLarge, "the files of the load request hold \(2 * Self.addOne.count) bytes: at most 300 (--max-body-size)")
                ),
                (
                    ["file:a": Data(), "file:b": Data(), "file:c": Data()], true, settings,
                    LedgeError.invalidInput("load request sends 3 files: at most 2")
                ),
            ] as [([String: Data], Bool, UploadSettings?, LedgeError)] {
                #expect(throws: error) { try ModelUpload.write(files, model: "add", hasConfig: hasConfig, settings: settings) }
            }
            #expect(Self.files(directory).isEmpty)
        }
    }

    /// A server killed before its shutdown leaves its uploads: the next one removes them.
    @Test func foldersOfProcessesThatAreGoneAreSwept() async throws {
        try await withTemporaryDirectory { directory in
            // Linux's highest process id (pid_max's ceiling) less one: no process has it here.
            for name in ["4194303-add-abcdef/1", "\(getpid())-add-abcdef/1", "kept/1"] {
                try FileManager.default.createDirectory(atPath: directory + "/" + name, withIntermediateDirectories: true)
            }
            ModelUpload.sweep(directory)
            #expect(Self.files(directory) == ["\(getpid())-add-abcdef", "\(getpid())-add-abcdef/1", "kept", "kept/1"])
        }
    }

    /// A load's files serve instead of the repository folder (add_one sent as `add`: a + b + 1),
    /// under a new name too; a load without them goes back to the folder; a failed one names its
    /// file as the load did; unloads and shutdown remove the folders.
    @Test func uploadedFilesServeUntilALoadWithoutThem() async throws {
        try await withTemporaryDirectory { directory in
            try Fixtures.makeModel(directory + "/repository")
            let uploads = directory + "/uploads"
            let repository = try RepositoryVersionTests.load(
                directory + "/repository",
                RepositoryOptions(controlMode: .explicit, startupModels: ["add"], uploads: UploadSettings(directory: uploads, maxBytes: 1 << 20)))
            let files = ["file:1/model.onnx": Self.addOne]
            try await repository.load("add", config: "{}", files: files)
            #expect(try await RepositoryVersionTests.sum(repository, try repository.model(named: "add")) == [3, 4, 5, 6])
            #expect(Self.folders(uploads).count == 1)
            try await repository.load("pushed", config: #"{"max_batch_size": 2}"#, files: files)
            let pushed = try repository.model(named: "pushed")
            #expect(try await RepositoryVersionTests.sum(repository, pushed) == [3, 4, 5, 6])
            #expect(pushed.config.maxBatchSize == 2)
            #expect(RepositoryVersionTests.states(repository) == ["add/1 READY", "pushed/1 READY"])
            #expect(Self.folders(uploads).count == 2)

            try await repository.load("add")
            #expect(try await RepositoryVersionTests.sum(repository, try repository.model(named: "add")) == [2, 3, 4, 5])
            #expect(Self.folders(uploads).count == 1)

            await #expect(
                throws: LedgeError.invalidModel(
                    "file:1/model.onnx: not a TFLite or ONNX model (expected 'TFL3' at bytes 4-7 or an ONNX protobuf); it looks like a text file")
            ) { try await repository.load("pushed", config: "{}", files: ["file:1/model.onnx": Data("not a model".utf8)]) }
            #expect(try await RepositoryVersionTests.sum(repository, try repository.model(named: "pushed")) == [3, 4, 5, 6])
            #expect(Self.folders(uploads).count == 1)
            await #expect(throws: LedgeError.unknownModel("other")) { try await repository.load("other", config: "{}") }

            try await repository.unload("pushed")
            #expect(Self.folders(uploads).isEmpty)
            try await repository.load("pushed", config: "{}", files: files)
            #expect(Self.folders(uploads).count == 1)
            repository.removeUploads()
            #expect(Self.folders(uploads).isEmpty)
        }
    }
}
