import Testing
@testable import SettleEngine

/// A flat layout compiles into the same program as a list layout: its header a file header, its
/// detail the one detail, its trailer a file trailer, read in the exact form by the plain loop.
@Suite("Flat layouts: one compiled program")
struct FlatProgramTests {
    @Test("a flat layout's program is a file header, a detail and a file trailer with the flat roles",
          arguments: ["reference", "wide"])
    func flatProgram(name: String) throws {
        let compiled = try LayoutLoader.compile(name)
        #expect(compiled.structured == nil)
        let program = compiled.program
        #expect(program.form == .exact)
        #expect(program.afterTrailer == .reject)
        #expect(program.recordLength == compiled.recordLength)
        let index = try #require(program.plainDetail)
        let detail = program.records[index]
        #expect(detail.kind == .detail && detail.code == compiled.detail.code)
        #expect(detail.codeAt.map(\.offset) == compiled.typePositions.map(\.offset))
        #expect(detail.codeAt.map(\.length) == compiled.typePositions.map(\.length))
        #expect(detail.fields.map(\.offset) == compiled.detail.fields.map(\.offset))
        #expect(detail.fields.map(\.index) == compiled.detail.fields.map(\.index))
        #expect(detail.merchantParts == [.own(offset: compiled.merchant.offset, length: compiled.merchant.length)])
        #expect(detail.currency == .own(offset: compiled.currency.offset, length: compiled.currency.length))
        #expect(detail.amount?.offset == compiled.amount.offset && detail.amount?.length == compiled.amount.length)
        #expect(detail.direction?.index == compiled.direction.index)
        #expect(detail.debitCodes == [compiled.debitCode] && detail.creditCodes == [compiled.creditCode])
        #expect(detail.fee?.offset == compiled.fee?.offset && detail.reference?.offset == compiled.reference?.offset)
        // Header and trailer are the file's, recognised by the same code.
        for (kind, flat) in [(StructuredKind.fileHeader, compiled.header), (.fileTrailer, compiled.trailer)] {
            let spec = program.firstRecord(kind)
            #expect((spec != nil) == (flat != nil))
            if let spec, let flat {
                #expect(program.record(code: flat.code) == spec)
                #expect(program.records[spec].kind.flatKind == flat.kind)
                #expect(program.records[spec].fields.map(\.offset) == flat.fields.map(\.offset))
            }
        }
        #expect(program.record(code: compiled.detail.code) == index)
    }

    @Test("a list layout keeps the tolerant form and the general loop",
          arguments: ["nacha", "cnab240", "cnab400-itau", "visa-ctf", "mastercard-ipm"])
    func listProgram(name: String) throws {
        let compiled = try LayoutLoader.compile(name)
        let structured = try #require(compiled.structured)
        #expect(compiled.program.tables === structured.tables)
        #expect(compiled.program.form == .tolerant)
        #expect(compiled.program.plainDetail == nil)
    }
}
