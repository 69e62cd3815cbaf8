import ArgumentParser
import Foundation
import SettleEngine
import SettleGenerator

/// `settle generate --layout mastercard-ipm`: the IPM generator (`IPMGenerator`).
extension GenerateCommand {
    var isIPM: Bool { layout == "mastercard-ipm" }

    func validateIPM() throws {
        if let problem = IPMGeneratorOptions.problem(details: records, merchants: merchants, seed: seed, faultRate: faults,
                                                     ledgerFiles: ledgerFiles) {
            throw ValidationError(problem)
        }
        if !["1014", "none"].contains(ipmBlocking) { throw ValidationError("--ipm-blocking must be 1014 or none, not '\(ipmBlocking)'") }
        if CodePage(rawValue: ipmEncoding) == nil {
            throw ValidationError("--ipm-encoding must be one of \(CodePage.allCases.map(\.rawValue).joined(separator: ", ")), not '\(ipmEncoding)'")
        }
        if LedgerStyle(rawValue: ledgerStyle) == nil { throw ValidationError("--ledger-style must be plain, messy or signed") }
        if out.isEmpty { throw ValidationError("--out must name a directory") }
    }

    func runIPM() throws {
        let clock = ContinuousClock()
        let started = clock.now
        let report: IPMGenerationReport
        do {
            let options = try IPMGeneratorOptions(details: records, merchants: merchants, seed: seed, faultRate: faults,
                                                  blocked: ipmBlocking == "1014", codePage: CodePage(rawValue: ipmEncoding) ?? .ebcdicCP500,
                                                  outputDirectory: out, ledgerStyle: LedgerStyle(rawValue: ledgerStyle) ?? .plain,
                                                  ledgerFiles: ledgerFiles)
            report = try IPMGenerator.run(options)
        } catch {
            throw fail(error)
        }
        let elapsed = clock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        printError("settle generate: \(report.messages) IPM messages (\(report.details) details, \(report.chargebacks) chargebacks, "
            + "\(report.reversals) reversals, \(report.others) other), \(report.fileBytes) bytes, \(report.totalsRows) merchant/currency rows, "
            + "\(report.ledgerRows) ledger rows, \(report.mismatches) mismatches in \(out) in \(String(format: "%.2f", seconds)) s")
    }
}
