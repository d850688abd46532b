import Foundation
import LedgeCore
@testable import LedgeServer
import Testing

/// An infer request's JSON is read by one path (``JSONParser``, then ``V2InferenceRequest/init(json:)``),
/// valid or not: each refusal names its field by path, the first in the order the fields are declared.
@Suite struct RequestJSONReadingTests {
    static let input = #""name":"a","shape":[1,4],"datatype":"FP32","data":[1,2,3,4]"#

    @Test(arguments: [
        ("[1]", "field '(root)' has the wrong type: expected an object"),
        ("null", "field '(root)' has the wrong type: expected an object"),
        (#"{"outputs":[]}"#, "missing field 'inputs' in the request JSON"),
        (#"{"inputs":null}"#, "field 'inputs' has the wrong type: expected an array of objects"),
        (#"{"inputs":{"name":"a"}}"#, "field 'inputs' has the wrong type: expected an array of objects"),
        (#"{"inputs":[null]}"#, "field 'inputs[0]' has the wrong type: expected an object"),
        (#"{"id":7,"inputs":[]}"#, "field 'id' has the wrong type: expected a string"),
        (#"{"inputs":[{"shape":[1],"datatype":"FP32"}]}"#, "missing field 'inputs[0].name' in the request JSON"),
        (#"{"inputs":[{"name":null,"shape":[1],"datatype":"FP32"}]}"#, "field 'inputs[0].name' has the wrong type: expected a string"),
        (#"{"inputs":[{"name":1,"shape":[1],"datatype":"FP32","data":[1]}]}"#, "field 'inputs[0].name' has the wrong type: expected a string"),
        (#"{"inputs":[{"name":"a","datatype":"FP32"}]}"#, "missing field 'inputs[0].shape' in the request JSON"),
        (#"{"inputs":[{"name":"a","shape":4,"datatype":"FP32"}]}"#, "field 'inputs[0].shape' has the wrong type: expected an array of integers"),
        (#"{"inputs":[{"name":"a","shape":[1,null],"datatype":"FP32"}]}"#, "field 'inputs[0].shape[1]' has the wrong type: expected an integer"),
        (#"{"inputs":[{"name":"a","shape":[1,"4"],"datatype":"FP32"}]}"#, "field 'inputs[0].shape[1]' has the wrong type: expected an integer"),
        (
            #"{"inputs":[{"name":"a","shape":[1.5],"datatype":"FP32","data":[1]}]}"#,
            "field 'inputs[0].shape[0]' is 1.5: expected an integer dimension from 0 to 9223372036854775807"
        ),
        (
            #"{"inputs":[{"name":"a","shape":[18446744073709551615]}]}"#,
            "field 'inputs[0].shape[0]' is 18446744073709551615: expected an integer dimension from 0 to 9223372036854775807"
        ),
        (#"{"inputs":[{"name":"a","shape":[1]}]}"#, "missing field 'inputs[0].datatype' in the request JSON"),
        (#"{"inputs":[{"name":"a","shape":[1],"datatype":null}]}"#, "field 'inputs[0].datatype' has the wrong type: expected a string"),
        (#"{"inputs":[{"# + input + #","parameters":[]}]}"#, "field 'inputs[0].parameters' has the wrong type: expected an object"),
        (
            #"{"inputs":[{"# + input + #","parameters":{"binary_data_size":"16"}}]}"#,
            "field 'inputs[0].parameters.binary_data_size' has the wrong type: expected an integer"
        ),
        (
            #"{"inputs":[{"# + input + #","parameters":{"binary_data_size":1e30}}]}"#,
            "field 'inputs[0].parameters.binary_data_size' is 1e+30: expected an integer"
        ),
        (
            #"{"inputs":[{"# + input + #","parameters":{"shared_memory_region":1}}]}"#,
            "field 'inputs[0].parameters.shared_memory_region' has the wrong type: expected a string"
        ),
        (#"{"inputs":[],"parameters":{"binary_data_output":"yes"}}"#, "field 'parameters.binary_data_output' has the wrong type: expected a boolean"),
        (#"{"inputs":[],"parameters":{"timeout":2.5}}"#, "field 'parameters.timeout' is 2.5: expected an integer"),
        (#"{"inputs":[],"parameters":{"priority":true}}"#, "field 'parameters.priority' has the wrong type: expected an integer"),
        (#"{"inputs":[],"parameters":{"timeout":18446744073709551615}}"#, "field 'parameters.timeout' is 18446744073709551615: expected an integer"),
        // A key given twice: the last counts, as Python's json reads it.
        (#"{"id":"a","id":5,"inputs":[]}"#, "field 'id' has the wrong type: expected a string"),
        (#"{"inputs":[],"outputs":1}"#, "field 'outputs' has the wrong type: expected an array of objects"),
        (#"{"inputs":[],"outputs":[{"parameters":{}}]}"#, "missing field 'outputs[0].name' in the request JSON"),
        (
            #"{"inputs":[],"outputs":[{"name":"s","parameters":{"binary_data":1}}]}"#,
            "field 'outputs[0].parameters.binary_data' has the wrong type: expected a boolean"
        ),
        (
            #"{"inputs":[],"outputs":[{"name":"s","parameters":{"classification":1.5}}]}"#,
            "field 'outputs[0].parameters.classification' is 1.5: expected an integer"
        ),
        // The first field in declaration order: id before inputs; a number's value before a missing name.
        (#"{"inputs":[{"shape":[1]}],"id":false}"#, "field 'id' has the wrong type: expected a string"),
        (#"{"inputs":[{"shape":[2.5]}]}"#, "field 'inputs[0].shape[0]' is 2.5: expected an integer dimension from 0 to 9223372036854775807"),
        (#"{"inputs":[1,2,3"#, "malformed JSON in the request body: expected a JSON object with 'inputs'"),
    ])
    func refusedByField(_ text: String, _ message: String) {
        #expect(throws: LedgeError.invalidInput(message)) { try RequestDecoding.decode(Data(text.utf8)) }
    }

    /// A key given twice: the last counts.
    @Test func theLastOfARepeatedKeyCounts() throws {
        let request = try RequestDecoding.decode(Data(#"{"id":5,"id":"b","inputs":[],"inputs":[{"name":"a","shape":[1],"datatype":"FP32"}]}"#.utf8))
        #expect(request.id == "b" && request.inputs.map(\.name) == ["a"])
    }

    /// `null` is an absent optional field.
    @Test func nullOptionalFieldsAreAbsent() throws {
        let request = try RequestDecoding.decode(
            Data(
                #"{"id":null,"parameters":null,"outputs":null,"inputs":[{"name":"a","shape":[],"datatype":"FP32","parameters":null,"data":null}]}"#
                    .utf8))
        #expect(request.id == nil && request.parameters == nil && request.outputs == nil)
        #expect(request.inputs[0].parameters == nil && request.inputs[0].data == nil && request.inputs[0].shape.isEmpty)
    }
}
