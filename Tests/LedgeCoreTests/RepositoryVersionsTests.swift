import Foundation
import LedgeCore
import Testing

/// Triton's versioned repository layout beside the flat one: each model folder
/// judged alone, each problem one line naming the folder.
@Suite struct RepositoryVersionsTests {
    /// A temporary repository holding `files` (relative paths; a trailing `/` makes a folder), removed by `body`'s end.
    func withRepository(_ files: [String], _ body: (String) throws -> Void) throws {
        let root = NSTemporaryDirectory() + "ledge-versions-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fm = FileManager.default
        try fm.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? fm.removeItem(atPath: root) }
        for file in files {
            let path = root + "/" + file
            if file.hasSuffix("/") {
                try fm.createDirectory(atPath: path, withIntermediateDirectories: true)
            } else {
                try fm.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                #expect(fm.createFile(atPath: path, contents: Data("x".utf8)))
            }
        }
        try body(root)
    }

    @Test func versionFoldersSortedByNumber() throws {
        let files = ["m/config.pbtxt", "m/labels.txt", "m/1/model.onnx", "m/3/model.onnx", "m/10/model.onnx", "m/2/model.tflite"]
        try withRepository(files) { (root: String) throws in
            let folder = try RepositoryLayout.folder(repository: root, name: "m")
            #expect(folder.name == "m")
            #expect(folder.path == root + "/m")
            #expect(folder.configPath == root + "/m/config.pbtxt")
            #expect(folder.labels == root + "/m/labels.txt")
            #expect(
                folder.versions == [
                    .init(number: 1, model: root + "/m/1/model.onnx"), .init(number: 2, model: root + "/m/2/model.tflite"),
                    .init(number: 3, model: root + "/m/3/model.onnx"), .init(number: 10, model: root + "/m/10/model.onnx"),
                ])
        }
    }

    /// `-m DIR` (KServe's /mnt/models): a model folder given as a path, named after it or `--name`;
    /// the server reads it whole, `package` and `deploy apply` refuse what their entry would lose.
    @Test func modelFolderGivenAsAPath() throws {
        let files = ["flat/add.onnx", "flat/labels.txt", "tri/config.pbtxt", "tri/1/model.onnx", "tri/2/model.onnx", "empty/notes.md"]
        try withRepository(files) { (root: String) throws in
            let flat = try RepositoryLayout.entries(files: [(root + "/flat/", nil), (root + "/flat", "adder")])
            #expect(
                flat == [
                    .init(name: "flat", model: root + "/flat/add.onnx", labels: root + "/flat/labels.txt"),
                    .init(name: "adder", model: root + "/flat/add.onnx", labels: root + "/flat/labels.txt"),
                ])
            let whole = try RepositoryLayout.entries(files: [(root + "/tri", "adder")], wholeFolders: true)
            #expect(whole == [.init(name: "adder", model: root + "/tri/2/model.onnx", labels: nil)])
            let folder = try RepositoryLayout.folder(at: root + "/tri/", name: "adder")
            #expect(folder.path == root + "/tri" && folder.configPath == root + "/tri/config.pbtxt" && folder.versions.count == 2)
            #expect(
                throws: LedgeError.usage(
                    "model folder '\(root)/tri' has config.pbtxt and 2 versions: give its parent folder with --model-repository to keep them, or its model file"
                )
            ) { try RepositoryLayout.entries(files: [(root + "/tri", nil)]) }
            #expect(
                throws: LedgeError.invalidModel(
                    "model folder '\(root)/empty': expected version folders NAME/<n>/model.onnx or .tflite, one .onnx or .tflite file, or onnx/model.onnx, found none"
                )
            ) { try RepositoryLayout.entries(files: [(root + "/empty", nil)], wholeFolders: true) }
        }
    }

    @Test func subfoldersThatAreNotVersionsAreIgnored() throws {
        let files = [
            "m/1/model.onnx", "m/0/model.onnx", "m/01/model.onnx", "m/v2/model.onnx", "m/-3/", "m/.git/", "m/1/.model.onnx.swp", "m/notes.md",
        ]
        try withRepository(files) { (root: String) throws in
            let folder = try RepositoryLayout.folder(repository: root, name: "m")
            #expect(folder.versions == [.init(number: 1, model: root + "/m/1/model.onnx")])
            #expect(folder.configPath == nil)
            #expect(folder.labels == nil)
        }
    }

    @Test func flatLayoutIsVersionOne() throws {
        try withRepository(["flat/mobilenet.onnx", "flat/labels.txt", "flat/config.pbtxt", "flat/extras/"]) { (root: String) throws in
            let folder = try RepositoryLayout.folder(repository: root, name: "flat")
            #expect(folder.versions == [.init(number: 1, model: root + "/flat/mobilenet.onnx")])
            #expect(folder.configPath == root + "/flat/config.pbtxt")
            #expect(folder.labels == root + "/flat/labels.txt")
        }
    }

    /// A Hugging Face Hub repository downloaded as a model folder: its model in onnx/ (model.onnx
    /// among several), its config files on top where ModelSidecar finds them.
    @Test func hubLayoutIsItsOnnxModel() throws {
        let files = [
            "cats/config.json", "cats/preprocessor_config.json", "cats/onnx/model.onnx", "cats/onnx/model_quantized.onnx",
            "one/onnx/model_fp16.onnx", "many/onnx/a.onnx", "many/onnx/b.onnx",
        ]
        try withRepository(files) { (root: String) throws in
            #expect(try RepositoryLayout.folder(repository: root, name: "cats").versions == [.init(number: 1, model: root + "/cats/onnx/model.onnx")])
            #expect(ModelSidecar.files(besides: root + "/cats/onnx/model.onnx").count == 2)
            #expect(try RepositoryLayout.folder(repository: root, name: "one").versions.first?.model == root + "/one/onnx/model_fp16.onnx")
            #expect(
                throws: LedgeError.invalidModel(
                    "model folder '\(root)/many': expected version folders NAME/<n>/model.onnx or .tflite, one .onnx or .tflite file, or onnx/model.onnx, found 2 in onnx/ (a.onnx, b.onnx), none model.onnx"
                )
            ) { try RepositoryLayout.folder(repository: root, name: "many") }
        }
    }

    @Test func eachBadFolderFailsAlone() throws {
        let files = [
            "good/1/model.onnx", "mixed/1/model.onnx", "mixed/model.onnx", "empty/", "two/a.onnx", "two/b.tflite",
            "noversionfile/1/model.onnx", "noversionfile/2/readme.txt", "twoversionfiles/1/a.onnx", "twoversionfiles/1/b.onnx",
            ".hidden/1/model.onnx", "plain.txt", "bad name/1/model.onnx",
        ]
        try withRepository(files) { (root: String) throws in
            #expect(
                try RepositoryLayout.modelNames(root) == ["bad name", "empty", "good", "mixed", "noversionfile", "two", "twoversionfiles"])
            #expect(try RepositoryLayout.folder(repository: root, name: "good").versions.map(\.number) == [1])
            let cases: [(String, LedgeError)] = [
                (
                    "mixed",
                    .invalidModel(
                        "model folder '\(root)/mixed' has both version folders (1) and a model file (model.onnx): expected NAME/<version>/model.onnx or NAME/model.onnx, not both"
                    )
                ),
                (
                    "empty",
                    .invalidModel(
                        "model folder '\(root)/empty': expected version folders NAME/<n>/model.onnx or .tflite, one .onnx or .tflite file, or onnx/model.onnx, found none"
                    )
                ),
                (
                    "two",
                    .invalidModel(
                        "model folder '\(root)/two': expected version folders NAME/<n>/model.onnx or .tflite, one .onnx or .tflite file, or onnx/model.onnx, found 2 (a.onnx, b.tflite)"
                    )
                ),
                (
                    "noversionfile",
                    .invalidModel(
                        "model 'noversionfile' version folder '\(root)/noversionfile/2': expected one model.onnx or model.tflite, found none")
                ),
                (
                    "twoversionfiles",
                    .invalidModel(
                        "model 'twoversionfiles' version folder '\(root)/twoversionfiles/1': expected one model.onnx or model.tflite, found 2 (a.onnx, b.onnx)"
                    )
                ),
                ("bad name", .usage("model folder 'bad name' is not valid: expected letters, digits, '-', '_' or '.' (no '/' or '..')")),
                ("../good", .usage("model folder '../good' is not valid: expected letters, digits, '-', '_' or '.' (no '/' or '..')")),
                ("absent", .notFound("model 'absent' not found: expected a folder \(root)/absent")),
            ]
            for (name, error) in cases {
                #expect(throws: error) { try RepositoryLayout.folder(repository: root, name: name) }
            }
        }
    }

    /// The name rule on its own: ASCII letters, digits, `-`, `_` and `.`, no leading dot, no `..`.
    @Test func modelNameRule() {
        for name in ["add", "efficientnet_lite0", "a.b-c_1", "v1.2", "A", "x.", "9"] {
            #expect(RepositoryLayout.problem(name: name, what: "model name") == nil, "\(name)")
        }
        for name in ["", ".hidden", ".", "a..b", "..", "a/b", "caf\u{E9}", "a b", "a\u{0}b", "\u{0}", "\u{FF21}", "a\\b", "%2e"] {
            #expect(
                RepositoryLayout.problem(name: name, what: "model name")
                    == "model name '\(name)' is not valid: expected letters, digits, '-', '_' or '.' (no '/' or '..')", "\(name)")
        }
    }

    @Test func repositoryThatIsNotADirectory() throws {
        #expect(throws: LedgeError.usage("model repository '/nonexistent/repo' is not a directory: expected a folder of model folders")) {
            try RepositoryLayout.modelNames("/nonexistent/repo")
        }
        try withRepository([]) { (root: String) throws in #expect(try RepositoryLayout.modelNames(root).isEmpty) }
    }
}
