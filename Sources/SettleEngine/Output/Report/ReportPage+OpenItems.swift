/// The report's sections for `--match` and `--open-items`: matches per pass, late matches, and
/// the open items by age (0-1, 2-3, 4-7, more days) and by merchant, from summary.json.
extension ReportPage {
    func matchingAndOpenItems() -> String {
        guard let reconciliation = result?["reconciliation"] else { return "" }
        var html = ""
        if let passes = reconciliation["matched_by_pass"]?.members, !passes.isEmpty {
            // By name: the JSON object has no order of its own here (summary.json lists them in pass order).
            let rows = passes.sorted { $0.key < $1.key }.map { name, count in
                [HTMLText.escape(name), HTMLText.element("span", HTMLText.count(count.int ?? 0), id: "pass-\(name)")]
            }
            html += "<h3>Matched by pass</h3>" + HTMLText.table(["Pass", "Matched"], rows, numeric: [1], id: "matched-by-pass")
        }
        if let open = reconciliation["open_items"] {
            let bands = OpenFigures.ageBands.map { band in
                [HTMLText.escape(band + " days"), HTMLText.element("span", HTMLText.count(open["by_age_days"]?[band]?.int ?? 0), id: "open-age-\(band)")]
            }
            html += "<h3>Open items by age</h3>" + HTMLText.table(["Age", "Open items"], bands, numeric: [1], id: "open-items-by-age")
            let figures = [("Open items", "open"), ("Late matches (matched tonight, first seen earlier)", "late_matches"),
                           ("Expired into mismatches", "expired")].map { label, key in
                [HTMLText.escape(label), HTMLText.element("span", HTMLText.count(open[key]?.int ?? 0), id: "open-\(key)")]
            }
            html += HTMLText.table(["", "Items"], figures, numeric: [1], id: "open-items")
            let merchants = open["by_merchant"]?.elements ?? []
            if !merchants.isEmpty {
                let rows = merchants.map { entry in
                    [HTMLText.escape(entry["merchant_id"]?.string ?? ""), HTMLText.count(entry["settled"]?.int ?? 0),
                     HTMLText.count(entry["ledger"]?.int ?? 0), HTMLText.count(entry["oldest_age_days"]?.int ?? 0)]
                }
                let total = open["merchants"]?.int ?? merchants.count
                let more = total > merchants.count ? "<p>The \(merchants.count) merchants with the most open items of \(HTMLText.count(total)); every item is in open_items.csv.</p>" : ""
                html += "<h3>Open items by merchant</h3>" + more
                    + HTMLText.table(["Merchant", "Settled, not in the ledger", "In the ledger, not settled", "Oldest (days)"], rows, numeric: [1, 2, 3],
                                     id: "open-items-by-merchant")
            }
        }
        return html.isEmpty ? "" : section("Matching passes and open items", html)
    }
}
