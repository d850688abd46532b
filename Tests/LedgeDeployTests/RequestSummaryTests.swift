import Testing

@testable import LedgeDeploy

/// `deploy status` reads the request count and median from the server's Prometheus text.
struct RequestSummaryTests {
    @Test func theMedianIsInterpolatedInTheBucketThatHoldsIt() {
        // 10 requests: 2 within 5 ms, 10 within 10 ms; rank 5 is 3 of the bucket's 8: 5 + 5 × 3/8 ms (as histogram_quantile).
        let text = """
            # TYPE ledge_inference_request_duration_seconds histogram
            ledge_inference_request_duration_seconds_bucket{model="m",le="0.005"} 2
            ledge_inference_request_duration_seconds_bucket{model="m",le="0.01"} 10
            ledge_inference_request_duration_seconds_bucket{model="m",le="+Inf"} 10
            ledge_inference_request_success_total{model="m"} 10
            """
        let (requests, p50) = Deployer.requestSummary(text)
        #expect(requests == 10)
        #expect(abs((p50 ?? 0) - 6.875) < 1e-9)  // was 5.0: the bucket below was never remembered
    }

    @Test func theServersMemoryIsItsResidentBytes() {
        let text = """
            # HELP process_resident_memory_bytes Resident memory of the server process, in bytes
            # TYPE process_resident_memory_bytes gauge
            process_resident_memory_bytes 83816448.0
            process_virtual_memory_bytes 946356224.0
            """
        #expect(Deployer.residentBytes(text) == 83_816_448)
        #expect(Deployer.residentBytes("ledge_inference_count_total 3") == nil)
    }
}
