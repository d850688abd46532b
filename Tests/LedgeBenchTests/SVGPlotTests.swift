import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import LedgeBench

@Suite struct SVGPlotTests {
    /// Parses `svg` with Foundation's XMLParser; returns the element names, or nil when malformed.
    final class Collector: NSObject, XMLParserDelegate {
        var elements: [String] = []
        var text = ""
        func parser(
            _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
            attributes: [String: String] = [:]
        ) { elements.append(name) }
        func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }
    }

    func parse(_ svg: String) -> Collector? {
        let parser = XMLParser(data: Data(svg.utf8))
        let collector = Collector()
        parser.delegate = collector
        return parser.parse() ? collector : nil
    }

    @Test func wellFormedWithEveryLabelAndBothPanels() throws {
        var report = try ReportTests.report()
        report.variants[0].samples = (0..<60).map { 13 + Double($0) * 0.1 }
        let svg = SVGPlot.render(report)
        let xml = try #require(parse(svg))
        #expect(xml.elements.first == "svg")
        #expect(xml.elements.contains("polyline"))
        #expect(xml.text.contains("efficientnet_lite0.tflite t1"))
        #expect(xml.text.contains("mobilenet_gen.onnx t2"))
        #expect(xml.text.contains("latency (ms), batch 1"))
        #expect(xml.text.contains("samples/s"))
        #expect(xml.text.contains("batch size (log2 scale)"))
        #expect(xml.text.contains("FAIL:") && xml.text.contains("size 5.4 MB is not < 5 MB"))
        #expect(!svg.contains("<script") && !svg.contains("@import") && !svg.contains("href"))
    }

    @Test func singleSampleAndNoThroughputRows() throws {
        var v = Samples.variant(model: "we<ird>&'\"name.tflite", throughput: [], batchNote: "fixed batch 1 & <shape>")
        v.samples = [4.5]
        v.latency_ms = LatencyStatistics.summarize(v.samples)
        let svg = SVGPlot.render(BenchReport(ledgeVersion: "0", budget: "size<1KB", variants: [v]))
        let xml = try #require(parse(svg))
        #expect(xml.text.contains("we<ird>&'\"name.tflite t1"))
        #expect(xml.text.contains("no throughput measured"))
        #expect(xml.text.contains("fixed batch 1 & <shape>"))
        #expect(!svg.contains("NaN") && !svg.contains("inf"))
    }

    @Test func emptyAndZeroReports() throws {
        #expect(parse("<svg><text>a & b</text></svg>") == nil)  // the parser does reject malformed XML
        #expect(parse(SVGPlot.render(BenchReport(ledgeVersion: "0", budget: nil, variants: []))) != nil)
        var v = Samples.variant(throughput: [ThroughputPoint(batch: 1, samplesPerSecond: 0)])
        v.latency_ms = LatencyStatistics.summarize([])
        let svg = SVGPlot.render(BenchReport(ledgeVersion: "0", budget: nil, variants: [v, v]))
        let xml = try #require(parse(svg))
        #expect(xml.text.contains("no runs"))
        #expect(!svg.contains("NaN") && !svg.contains("nan"))
    }

    @Test func ticksCoverTheMaximum() {
        #expect(SVGPlot.ticks(upTo: 864) == [0, 200, 400, 600, 800, 1000])
        #expect(SVGPlot.ticks(upTo: 20) == [0, 5, 10, 15, 20])
        #expect(SVGPlot.ticks(upTo: 0) == [0, 1])
        #expect(SVGPlot.n(12.5) == "12.5" && SVGPlot.n(3) == "3" && SVGPlot.n(.nan) == "0")
    }
}

@Suite struct ScaleTests {
    @Test func linearFromZeroUnlessTheValuesSpanDecades() {
        let linear = Scale(covering: [6, 10.5, 15.7])
        #expect(!linear.log && linear.lo == 0 && linear.hi == 20)
        #expect(linear.fraction(10) == 0.5)
        let log = Scale(covering: [0.033, 0.05, 10.5, 15.7])
        #expect(log.log && log.lo == 0.01 && log.hi == 100)
        #expect(log.ticks == [0.01, 0.1, 1, 10, 100])
        #expect(Scale(covering: [0.5, 40]).ticks == [0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100])
        #expect(abs(log.fraction(1) - 0.5) < 1e-12)
        #expect(log.fraction(0) == 0 && log.fraction(1e9) == 1)
        #expect(Scale(covering: []).hi > 0)
        #expect(SVGPlot.label(200_000) == "200k" && SVGPlot.label(1_500_000) == "1.5M" && SVGPlot.label(0.05) == "0.05")
    }
}
