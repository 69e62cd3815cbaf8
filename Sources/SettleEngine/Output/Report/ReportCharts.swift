import Foundation

/// The report's two charts, drawn as inline SVG from summary.json's partition timeline
/// (`run.partitions[]`: worker, start_ms, end_ms, records): one lane per worker, so stragglers and
/// skew show; and the records per second over time that the same timeline implies.
enum ReportCharts {
    /// One mapped partition as the summary records it (resumed partitions have no times and are left out).
    struct Span: Equatable {
        var index: Int
        var worker: Int
        var startMilliseconds: Double
        var endMilliseconds: Double
        var records: Int
        var file: String
    }

    static func spans(_ summary: ReportJSON) -> [Span] {
        (summary["run"]?["partitions"]?.elements ?? []).compactMap { partition in
            guard let start = partition["start_ms"]?.double, let end = partition["end_ms"]?.double else { return nil }
            return Span(index: partition["index"]?.int ?? 0, worker: partition["worker"]?.int ?? 0,
                        startMilliseconds: start, endMilliseconds: max(start, end),
                        records: partition["records"]?.int ?? 0, file: partition["file"]?.string ?? "")
        }
    }

    static let width = 960.0
    static let left = 84.0
    static let right = 16.0
    static let palette = ["#2f6fb0", "#4f9a5b", "#b8742a", "#8a5aa8", "#c0504d", "#3a9ca3"]

    /// Partitions across workers: a lane per worker, a bar per partition from its start to its end.
    static func timeline(_ spans: [Span]) -> String {
        let workers = Array(Set(spans.map(\.worker))).sorted()
        let laneHeight = 28.0
        let top = 8.0
        let height = top + Double(workers.count) * laneHeight + 34
        let endMilliseconds = max(1, spans.map(\.endMilliseconds).max() ?? 1)
        let scale = (width - left - right) / endMilliseconds
        let files = Array(Set(spans.map(\.file))).sorted()
        var svg = open(height: height, label: "Timeline of \(spans.count) partitions across \(workers.count) workers")
        for (lane, worker) in workers.enumerated() {
            let y = top + Double(lane) * laneHeight
            svg += "<text x=\"\(number(left - 8))\" y=\"\(number(y + laneHeight / 2 + 4))\" text-anchor=\"end\" class=\"label\">worker \(worker)</text>"
            svg += "<rect x=\"\(number(left))\" y=\"\(number(y + 2))\" width=\"\(number(width - left - right))\" height=\"\(number(laneHeight - 4))\" class=\"lane\"/>"
        }
        for span in spans {
            let lane = Double(workers.firstIndex(of: span.worker) ?? 0)
            let x = left + span.startMilliseconds * scale
            let barWidth = max(1, (span.endMilliseconds - span.startMilliseconds) * scale - 1)
            let color = palette[(files.firstIndex(of: span.file) ?? 0) % palette.count]
            let seconds = (span.endMilliseconds - span.startMilliseconds) / 1000
            let title = "partition \(span.index) (\(span.file)): \(HTMLText.count(span.records)) records in \(HTMLText.decimal(seconds, decimals: 3)) s on worker \(span.worker)"
            svg += "<rect x=\"\(number(x))\" y=\"\(number(top + lane * laneHeight + 3))\" width=\"\(number(barWidth))\" height=\"\(number(laneHeight - 6))\" fill=\"\(color)\"><title>\(HTMLText.escape(title))</title></rect>"
        }
        svg += timeAxis(y: top + Double(workers.count) * laneHeight, endMilliseconds: endMilliseconds)
        return svg + "</svg>"
    }

    /// Records per second over time: each partition's records spread evenly over its span, summed per bin.
    static func throughput(_ spans: [Span]) -> String {
        let endMilliseconds = max(1, spans.map(\.endMilliseconds).max() ?? 1)
        let binCount = 60
        let binMilliseconds = endMilliseconds / Double(binCount)
        var perBin = [Double](repeating: 0, count: binCount)
        for span in spans {
            let duration = span.endMilliseconds - span.startMilliseconds
            guard duration > 0 else {
                perBin[min(binCount - 1, Int(span.startMilliseconds / binMilliseconds))] += Double(span.records)
                continue
            }
            let first = max(0, min(binCount - 1, Int(span.startMilliseconds / binMilliseconds)))
            let last = max(0, min(binCount - 1, Int(span.endMilliseconds / binMilliseconds)))
            for bin in first...last {
                let overlap = min(span.endMilliseconds, Double(bin + 1) * binMilliseconds) - max(span.startMilliseconds, Double(bin) * binMilliseconds)
                if overlap > 0 { perBin[bin] += Double(span.records) * overlap / duration }
            }
        }
        let rates = perBin.map { $0 / (binMilliseconds / 1000) }
        let peak = max(1, rates.max() ?? 1)
        let plotTop = 12.0, plotHeight = 150.0
        let height = plotTop + plotHeight + 34
        let xScale = (width - left - right) / Double(binCount)
        var svg = open(height: height, label: "Throughput: records per second over time, peak \(Int(peak))")
        var path = "M\(number(left)) \(number(plotTop + plotHeight))"
        for (bin, rate) in rates.enumerated() {
            let y = plotTop + plotHeight - rate / peak * plotHeight
            path += " L\(number(left + Double(bin) * xScale)) \(number(y)) L\(number(left + Double(bin + 1) * xScale)) \(number(y))"
        }
        path += " L\(number(width - right)) \(number(plotTop + plotHeight)) Z"
        svg += "<path d=\"\(path)\" class=\"area\"/>"
        for fraction in [0.0, 0.5, 1.0] {
            let y = plotTop + plotHeight - fraction * plotHeight
            svg += "<line x1=\"\(number(left))\" y1=\"\(number(y))\" x2=\"\(number(width - right))\" y2=\"\(number(y))\" class=\"grid\"/>"
            svg += "<text x=\"\(number(left - 8))\" y=\"\(number(y + 4))\" text-anchor=\"end\" class=\"label\">\(HTMLText.escape(rateLabel(peak * fraction)))</text>"
        }
        svg += timeAxis(y: plotTop + plotHeight, endMilliseconds: endMilliseconds)
        return svg + "</svg>"
    }

    private static func open(height: Double, label: String) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(number(width)) \(number(height))\" width=\"100%\" role=\"img\" aria-label=\"\(HTMLText.escape(label))\">"
    }

    /// An axis in seconds under a plot, with ticks at a round step.
    private static func timeAxis(y: Double, endMilliseconds: Double) -> String {
        let scale = (width - left - right) / endMilliseconds
        let step = niceStep(endMilliseconds / 8)
        var svg = "<line x1=\"\(number(left))\" y1=\"\(number(y + 2))\" x2=\"\(number(width - right))\" y2=\"\(number(y + 2))\" class=\"axis\"/>"
        var tick = 0.0
        while tick <= endMilliseconds + step / 1000 {
            let x = left + tick * scale
            svg += "<line x1=\"\(number(x))\" y1=\"\(number(y + 2))\" x2=\"\(number(x))\" y2=\"\(number(y + 7))\" class=\"axis\"/>"
            let decimals = step >= 1000 ? 0 : (step >= 100 ? 1 : (step >= 10 ? 2 : 3))
            svg += "<text x=\"\(number(x))\" y=\"\(number(y + 20))\" text-anchor=\"middle\" class=\"label\">\(HTMLText.decimal(tick / 1000, decimals: decimals)) s</text>"
            tick += step
        }
        return svg
    }

    /// 1, 2 or 5 times a power of ten, at least `raw`.
    static func niceStep(_ raw: Double) -> Double {
        guard raw > 0 else { return 1 }
        let power = pow(10, floor(log10(raw)))
        for multiple in [1.0, 2, 5, 10] where multiple * power >= raw { return multiple * power }
        return 10 * power
    }

    private static func rateLabel(_ perSecond: Double) -> String {
        if perSecond >= 1e6 { return HTMLText.decimal(perSecond / 1e6) + "M/s" }
        if perSecond >= 1e3 { return HTMLText.decimal(perSecond / 1e3) + "k/s" }
        return HTMLText.decimal(perSecond, decimals: 0) + "/s"
    }

    /// A coordinate with at most one decimal.
    static func number(_ value: Double) -> String { HTMLText.decimal(value, decimals: value == value.rounded() ? 0 : 1) }
}
