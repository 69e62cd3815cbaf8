import Testing
@testable import SettleEngine

/// `StructuredTables`: the buffers the scanner reads are built once per compiled layout, shared by
/// every copy of it (so by every partition's scanner), and hold each record spec's compiled values.
@Suite("Structured layouts: tables built once per layout")
struct StructuredTablesTests {
    @Test("every copy of a compiled layout shares one set of tables", arguments: ["nacha", "cnab240", "cnab400-itau"])
    func sharedAcrossCopies(name: String) throws {
        let compiled = try LayoutLoader.compile(name)
        let layout = try #require(compiled.structured)
        let copy = compiled
        #expect(try #require(copy.structured).tables === layout.tables)
        // A second compilation builds its own.
        #expect(try #require(try LayoutLoader.compile(name).structured).tables !== layout.tables)
    }

    @Test("the buffers hold each record's kind, length, fields, roles and direction codes")
    func buffersMatchRecords() throws {
        let layout = try #require(try LayoutLoader.compile("nacha").structured)
        let buffers = layout.tables.buffers
        #expect(layout.records.count == 13)
        for (index, record) in layout.records.enumerated() {
            #expect(buffers.kinds[index] == record.kind)
            #expect(buffers.lengths[index] == record.length)
            #expect(buffers.fieldBuffers[index].map(\.offset) == record.fields.map(\.offset))
            #expect(buffers.fieldBuffers[index].map(\.length) == record.fields.map(\.length))
            let range = buffers.codeRanges[index]
            #expect(range.debits == record.debitCodes.count && range.credits == record.creditCodes.count)
            #expect(Array(buffers.codes[range.start..<(range.start + range.debits)]) == record.debitCodes)
            #expect(buffers.roles[index].hasAmount == (record.amount != nil))
        }
        #expect(Array(buffers.codes[0..<4]) == ["82", "84", "86", "88"].map { FieldDecoder.pack(Array($0.utf8)) })
        // The first entry detail (ADV): amount 28-39, direction (transaction code) 2-3, trace 80-94.
        let detail = try #require(layout.records.firstIndex { $0.kind == .detail })
        #expect(buffers.roles[detail].amountOffset == 27 && buffers.roles[detail].amountLength == 12)
        #expect(buffers.roles[detail].directionOffset == 1 && buffers.roles[detail].directionLength == 2)
        #expect(buffers.roles[detail].referenceOffset == 79 && buffers.roles[detail].referenceLength == 15)
    }
}
