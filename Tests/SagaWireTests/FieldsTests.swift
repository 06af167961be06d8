import Testing
@testable import SagaWire

@Suite struct FieldsTests {
    let body: JSON = [
        "user_id": "user-1", "empty": "", "qty": 3, "price": 12.5, "flag": true, "nothing": nil,
        "items": [["item_id": "item1", "quantity": 2], ["item_id": "item2", "quantity": -1]],
        "nested": ["deep": "x"], "bad id": "a b",
    ]

    func fields() throws -> Fields { try Fields(body, path: "body") }

    @Test func readsTypedValues() throws {
        let f = try fields()
        #expect(try f.string("user_id") == "user-1")
        #expect(try f.identifier("user_id") == "user-1")
        #expect(try f.int("qty", in: 1...10) == 3)
        #expect(try f.double("price", in: 0...100) == 12.5)
        #expect(try f.double("qty", in: 0...100) == 3)
        #expect(try f.bool("flag"))
        #expect(try f.optionalString("nothing") == nil)
        #expect(try f.optionalInt("missing") == nil)
        #expect(try f.object("nested").string("deep") == "x")
        #expect(try f.objects("items").count == 2)
        #expect(try f.oneOf("user_id", ["user-1", "user-2"]) == "user-1")
        #expect(try f.string("empty", allowEmpty: true) == "")
    }

    /// Each failure names the field by its full path.
    @Test func errorsNameTheField() throws {
        let f = try fields()
        func check(_ field: String, _ message: String, _ body: () throws -> Void) {
            do {
                try body()
                Issue.record("no error for \(field)")
            } catch {
                guard let error = error as? WireError else { Issue.record("untyped \(error)"); return }
                #expect(error.code == .invalidArgument)
                #expect(error.field == field)
                #expect(error.message == message)
            }
        }
        check("body.missing", "is required") { _ = try f.string("missing") }
        check("body.nothing", "is required") { _ = try f.int("nothing") }
        check("body.qty", "must be a string, got integer") { _ = try f.string("qty") }
        check("body.empty", "must not be empty") { _ = try f.string("empty") }
        check("body.user_id", "must be at most 3 bytes") { _ = try f.string("user_id", maxBytes: 3) }
        check("body.bad id", "may only hold letters, digits and . _ - : / @") { _ = try f.identifier("bad id") }
        check("body.qty", "must be between 5 and 10, got 3") { _ = try f.int("qty", in: 5...10) }
        check("body.price", "must be an integer between 0 and 10, got 12.5") { _ = try f.int("price", in: 0...10) }
        check("body.flag", "must be an integer, got boolean") { _ = try f.int("flag") }
        check("body.price", "must be between 0.0 and 10.0, got 12.5") { _ = try f.double("price", in: 0...10) }
        check("body.flag", "must be a number, got boolean") { _ = try f.double("flag", in: 0...10) }
        check("body.qty", "must be a boolean, got integer") { _ = try f.bool("qty") }
        check("body.qty", "must be an object, got integer") { _ = try f.object("qty") }
        check("body.qty", "must be an array, got integer") { _ = try f.array("qty") }
        check("body.items", "must have at most 1 elements") { _ = try f.array("items", maxCount: 1) }
        check("body.items", "must have at least 3 element(s)") { _ = try f.array("items", minCount: 3) }
        check("body.user_id", "must be one of a, b, got \"user-1\"") { _ = try f.oneOf("user_id", ["a", "b"]) }
        check("body.items[1].quantity", "must be between 1 and 100, got -1") {
            for item in try f.objects("items") { _ = try item.int("quantity", in: 1...100) }
        }
        check("body.items[0].quantity", "must be a string, got integer") {
            _ = try f.objects("items")[0].string("quantity")
        }
        do {
            _ = try Fields(.array([]), path: "body")
            Issue.record("an array read as an object")
        } catch {
            #expect(error.field == "body")
        }
    }
}
