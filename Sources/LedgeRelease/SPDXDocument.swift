#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
internal import LedgeCore

/// The SPDX 2.3 JSON document of one platform's release: the Debian packages
/// (version, licence, purl), the runtime wheels, the Swift packages `ledge` was
/// built from, the `ledge` binary and the models, each with its sha256.
/// Vulnerability scanners (Trivy, Grype) read it by the purls.
struct SPDXDocument {
    let platform: ReleasePlatform
    let metadata: ReleaseMetadata
    let packages: [PlatformInputs.DebianPackage]
    let runtimes: [PlatformInputs.Runtime]
    let models: [ReleaseModel]
    let binarySHA256: String
    let debian: (release: String, codename: String)
    /// Libraries from the binary's RUNPATH (the Swift runtime of a dynamically linked build).
    let hostLibraries: [String]

    private struct Checksum: Encodable {
        var algorithm = "SHA256"
        var checksumValue: String
    }
    private struct ExternalRef: Encodable {
        var referenceCategory = "PACKAGE-MANAGER"
        var referenceType = "purl"
        var referenceLocator: String
    }
    private struct Package: Encodable {
        var name: String
        var SPDXID: String
        var versionInfo: String?
        var supplier: String?
        var downloadLocation: String
        var filesAnalyzed = false
        var licenseConcluded = "NOASSERTION"
        var licenseDeclared: String
        var copyrightText = "NOASSERTION"
        var checksums: [Checksum]?
        var externalRefs: [ExternalRef]?
        var primaryPackagePurpose: String?
        var comment: String?
    }
    private struct Relationship: Encodable {
        var spdxElementId: String
        var relationshipType: String
        var relatedSpdxElement: String
    }
    private struct CreationInfo: Encodable {
        var created: String
        var creators: [String]
    }
    private struct Document: Encodable {
        var spdxVersion = "SPDX-2.3"
        var dataLicense = "CC0-1.0"
        var SPDXID = "SPDXRef-DOCUMENT"
        var name: String
        var documentNamespace: String
        var creationInfo: CreationInfo
        var packages: [Package]
        var relationships: [Relationship]
    }

    func json() -> [UInt8] {
        var list: [Package] = []
        let imageID = "SPDXRef-Image"
        list.append(
            Package(
                name: metadata.title, SPDXID: imageID, versionInfo: metadata.version, supplier: nil,
                downloadLocation: metadata.source.isEmpty ? "NOASSERTION" : metadata.source, licenseDeclared: "NOASSERTION",
                primaryPackagePurpose: "CONTAINER", comment: "\(platform) image of ledge serve with \(models.count) model(s)"))
        list.append(
            Package(
                name: "ledge", SPDXID: "SPDXRef-ledge", versionInfo: LedgeVersion.current, supplier: nil,
                downloadLocation: "NOASSERTION", licenseDeclared: "NOASSERTION",
                checksums: [Checksum(checksumValue: binarySHA256)], primaryPackagePurpose: "APPLICATION"))
        let distro = "debian-\(debian.release)"
        for package in packages {
            let purl =
                "pkg:deb/debian/\(package.name)@\(Self.percentEncoded(package.version))?arch=\(package.architecture)&distro=\(distro)"
            list.append(
                Package(
                    name: package.name, SPDXID: "SPDXRef-deb-\(Self.id(package.name))", versionInfo: package.version,
                    supplier: "Organization: Debian", downloadLocation: "https://deb.debian.org/debian/" + package.filename,
                    licenseDeclared: package.license, checksums: [Checksum(checksumValue: package.sha256)],
                    externalRefs: [ExternalRef(referenceLocator: purl)], primaryPackagePurpose: "LIBRARY",
                    comment: package.source.map { "source package \($0), Debian \(debian.codename)" }))
        }
        for runtime in runtimes {
            list.append(
                Package(
                    name: runtime.name, SPDXID: "SPDXRef-pypi-\(Self.id(runtime.name))", versionInfo: runtime.version,
                    supplier: nil, downloadLocation: "https://pypi.org/project/\(runtime.name)/\(runtime.version)/",
                    licenseDeclared: runtime.license, checksums: [Checksum(checksumValue: runtime.sha256)],
                    externalRefs: [ExternalRef(referenceLocator: "pkg:pypi/\(runtime.name)@\(runtime.version)")],
                    primaryPackagePurpose: "LIBRARY", comment: "\(runtime.library) from wheel \(runtime.wheel)"))
        }
        for dependency in LedgeVersion.dependencies {
            list.append(
                Package(
                    name: dependency.name, SPDXID: "SPDXRef-swift-\(Self.id(dependency.name))", versionInfo: dependency.version,
                    supplier: nil, downloadLocation: dependency.url, licenseDeclared: "NOASSERTION",
                    externalRefs: [ExternalRef(referenceLocator: "pkg:swift/\(dependency.purlName)@\(dependency.version)")],
                    primaryPackagePurpose: "LIBRARY", comment: "Swift package linked into ledge"))
        }
        for library in hostLibraries {
            list.append(
                Package(
                    name: library, SPDXID: "SPDXRef-lib-\(Self.id(library))", versionInfo: nil, supplier: nil,
                    downloadLocation: "NOASSERTION", licenseDeclared: "NOASSERTION", primaryPackagePurpose: "LIBRARY",
                    comment: "/\(ReleaseBundle.libraryDirectory)/\(library), from the ledge binary's RUNPATH (Swift runtime)"))
        }
        for model in models {
            list.append(
                Package(
                    name: "model \(model.name)", SPDXID: "SPDXRef-model-\(Self.id(model.name))", versionInfo: nil, supplier: nil,
                    downloadLocation: "NOASSERTION", licenseDeclared: "NOASSERTION",
                    checksums: [Checksum(checksumValue: model.sha256)], primaryPackagePurpose: "FILE",
                    comment: "/\(model.path), \(model.format), served by \(model.runtime) \(model.runtimeVersion)"))
        }
        var relationships = [Relationship(spdxElementId: "SPDXRef-DOCUMENT", relationshipType: "DESCRIBES", relatedSpdxElement: imageID)]
        for package in list.dropFirst() {
            relationships.append(Relationship(spdxElementId: imageID, relationshipType: "CONTAINS", relatedSpdxElement: package.SPDXID))
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        // The namespace must be unique per document: derive it from the content itself.
        let body = (try? encoder.encode(list)) ?? Data()
        let namespace =
            "https://spdx.org/spdxdocs/\(Self.id(metadata.title))-\(platform.fileName)-\(ContentDigest.sha256(body).prefix(32))"
        let document = Document(
            name: "\(metadata.title) \(platform)", documentNamespace: namespace,
            creationInfo: CreationInfo(created: metadata.createdRFC3339, creators: ["Tool: ledge-\(LedgeVersion.current)"]),
            packages: list, relationships: relationships)
        return Array((try? encoder.encode(document)) ?? Data()) + [0x0A]
    }

    /// An SPDX id part: letters, digits, '.' and '-'.
    static func id(_ text: String) -> String {
        String(text.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-") ? $0 : "-" })
    }

    static func percentEncoded(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            let c = Character(Unicode.Scalar(byte))
            if c.isASCII && (c.isLetter || c.isNumber || "-._~".contains(c)) { out.append(c) } else { out += "%" + hex2(byte) }
        }
        return out
    }

    private static func hex2(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 15)]])
    }
}
