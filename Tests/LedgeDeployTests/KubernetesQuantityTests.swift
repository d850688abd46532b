import LedgeCore
import LedgeDeploy
import Testing

/// `deploy k8s --cpu/--memory`: what the cluster would refuse is refused before a manifest is written.
@Suite struct KubernetesQuantityTests {
    @Test func quantitiesHaveKubernetesValues() {
        #expect(KubernetesQuantity.value("500m") == 0.5)
        #expect(KubernetesQuantity.value("2") == 2)
        #expect(KubernetesQuantity.value("1.5") == 1.5)
        #expect(KubernetesQuantity.value("256Mi") == 268_435_456.0)
        #expect(KubernetesQuantity.value("1G") == 1e9)
        for text in ["abc", "256MB", "1.2.3", ".5", "5.", "", "-1", "1 Gi", "Mi"] {
            #expect(KubernetesQuantity.value(text) == nil, "\(text)")
        }
    }

    @Test func requestAndLimitAreChecked() throws {
        #expect(try KubernetesQuantity.requestAndLimit("500m,2", option: "--cpu", example: "500m,2") == ("500m", "2"))
        #expect(try KubernetesQuantity.requestAndLimit("1Gi", option: "--memory", example: "256Mi,1Gi") == ("1Gi", "1Gi"))
        let cases: [(String, String)] = [
            ("abc", "--cpu 'abc': 'abc' is no positive Kubernetes quantity: expected one as in 500m,2"),
            ("0", "--cpu '0': '0' is no positive Kubernetes quantity: expected one as in 500m,2"),
            ("2,1", "--cpu '2,1': the request 2 is more than the limit 1"),
            ("500m,2,3", "--cpu '500m,2,3': expected REQUEST[,LIMIT], as 500m,2"),
            ("1,", "--cpu '1,': '' is no positive Kubernetes quantity: expected one as in 500m,2"),
        ]
        for (text, message) in cases {
            #expect(throws: LedgeError.usage(message)) { try KubernetesQuantity.requestAndLimit(text, option: "--cpu", example: "500m,2") }
        }
    }
}
