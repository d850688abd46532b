import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LedgeServer
@testable import LedgeServing
import LedgeTesting
import Testing

/// `GET /` (the web page) and `POST /v2/repository/index` (the model list it shows).
@Suite(.ownThread) struct WebPageTests {
    @Test func pageIsSelfContainedHTMLWithTheElementsItUses() async throws {
        try await TestServer.withApp { client in
            try await client.execute(uri: "/", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                let html = String(buffer: response.body)
                #expect(html.hasPrefix("<!doctype html>"))
                for id in ["model", "topk", "drop", "file", "preview", "results", "timing", "error"] {
                    #expect(html.contains(#"id="\#(id)""#), "no element with id '\(id)'")
                }
                #expect(html.contains(#"<input id="file" type="file""#))
                #expect(html.contains(#"fetch("/v2/repository/index""#))
                #expect(html.contains(#"/classify?top_k="#))
                // Nothing loaded from elsewhere: no absolute URLs, no external scripts or style sheets.
                #expect(!html.contains("http://"))
                #expect(!html.contains("https://"))
                #expect(!html.contains("<script src"))
                #expect(!html.contains("<link"))
                #expect(!html.contains("@import"))
            }
        }
    }

    struct IndexEntry: Decodable, Equatable {
        var name: String
        var version: String
        var state: String
    }

    @Test func repositoryIndexListsEveryModelAsReady() async throws {
        let expected = ["add", "efficientnet", "gen"].map { IndexEntry(name: $0, version: "1", state: "READY") }
        try await TestServer.withApp { client in
            try await client.execute(uri: "/v2/repository/index", method: .post) { response in
                #expect(response.status == .ok)
                let entries = try response.json([IndexEntry].self)
                #expect(entries == expected)
            }
            try await client.execute(
                uri: "/v2/repository/index", method: .post, headers: jsonHeaders,
                body: ByteBuffer(string: #"{"ready": true}"#)
            ) { response in
                let entries = try response.json([IndexEntry].self)
                #expect(entries == expected)
            }
            try await client.execute(
                uri: "/v2/repository/index", method: .post, headers: jsonHeaders,
                body: ByteBuffer(string: #"{"ready": "#)
            ) { response in
                #expect(response.status == .badRequest)
                #expect(response.errorMessage == #"malformed repository index request: expected a JSON object like {"ready": true}"#)
            }
            try await client.execute(uri: "/v2", method: .get) { response in
                struct Server: Decodable { var extensions: [String] }
                let server = try response.json(Server.self)
                #expect(
                    server.extensions == [
                        "binary_tensor_data", "classification", "model_repository", "schedule_policy", "statistics", "trace", "logging",
                    ])
            }
        }
    }
}
