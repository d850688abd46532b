import Testing

@testable import LedgeServing

/// The exposition reader behind `--metrics-export otlp`: families by `# HELP` and `# TYPE`,
/// histogram samples kept with their family, escaped label values, lines that do not parse skipped.
@Suite struct PrometheusTextTests {
    @Test func familiesSamplesAndEscapes() {
        let text = #"""
            # HELP requests_total Requests, by "reason" \\ with a line\nbreak
            # TYPE requests_total counter
            requests_total{model="a",reason="say \"no\", twice\\\n"} 3
            requests_total{model="b"} 1.5e3 1700000000000
            # TYPE latency_seconds histogram
            latency_seconds_bucket{model="a",le="0.1"} 1
            latency_seconds_bucket{model="a",le="+Inf"} 2
            latency_seconds_sum{model="a"} 0.25
            latency_seconds_count{model="a"} 2
            not a sample
            loose_gauge 7

            """#
        let families = PrometheusText.families(Array(text.utf8))
        #expect(families.map(\.name) == ["requests_total", "latency_seconds", "loose_gauge"])
        #expect(families[0].help == "Requests, by \"reason\" \\ with a line\nbreak")
        #expect(families[0].type == "counter")
        #expect(families[0].samples.map(\.value) == [3, 1500])
        #expect(
            families[0].samples[0].labels == [
                PrometheusFamily.Label(name: "model", value: "a"), PrometheusFamily.Label(name: "reason", value: "say \"no\", twice\\\n"),
            ])
        #expect(families[1].type == "histogram")
        #expect(
            families[1].samples.map(\.name) == ["latency_seconds_bucket", "latency_seconds_bucket", "latency_seconds_sum", "latency_seconds_count"])
        #expect(families[1].samples[1].labels.last == PrometheusFamily.Label(name: "le", value: "+Inf"))
        #expect(families[2].type == "untyped" && families[2].samples.map(\.value) == [7])
    }
}
