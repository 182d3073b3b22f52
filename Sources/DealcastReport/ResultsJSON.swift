import DealcastCore

/// results.json: the machine-readable twin of the report (schema in docs/results-schema.md).
public enum ResultsJSON {
    public static let schemaVersion = 1

    /// - Parameter content: the summary and drivers shared with report.md; computed here when nil.
    public static func make(_ results: RunResults, manifest: RunManifest, content: ReportContent? = nil) -> JSONValue {
        let content = content ?? ReportContent(results, charts: false)
        let scenario = results.plan.scenario
        var run: [(String, JSONValue)] = [
            ("trials", .number(Double(manifest.trials))),
            ("seed", manifest.seed < (1 << 53) ? .number(Double(manifest.seed)) : .string(String(manifest.seed))),
            ("sampling", .string(manifest.sampling)),
            ("rng", .string(manifest.generator)),
            ("block_size", .number(Double(manifest.blockSize))),
            ("threads", .number(Double(manifest.threads))),
            ("shards", .number(Double(manifest.shards))),
            ("wall_seconds", .number((manifest.wallSeconds * 1000).rounded() / 1000)),
            ("sensitivity_trials", .number(Double(results.sensitivityTrials))),
        ]
        if let c = results.plan.correlation, c.repairRequested {
            run.append(("correlation_repair", .number(c.repairDistance)))
        }
        if !manifest.options.isEmpty {
            run.append(("options", .object(manifest.options.map { ($0.0, .string($0.1)) })))
        }
        var top: [(String, JSONValue)] = [
            ("schema_version", .number(Double(schemaVersion))),
            ("dealcast_version", .string(manifest.dealcastVersion)),
        ]
        if let c = manifest.gitCommit { top.append(("git_commit", .string(c))) }
        top += [
            ("scenario", .object([
                ("id", .string(scenario.id)),
                ("title", .string(scenario.title)),
                ("path", .string(scenario.displayPath)),
                ("sha256", .string(scenario.sha256)),
            ])),
            ("run", .object(run)),
            ("modules", .array(manifest.modules.map { .object([("id", .string($0.0)), ("version", .string($0.1))]) })),
        ]
        if !manifest.plugins.isEmpty {
            top.append(("plugins", .array(manifest.plugins.map {
                .object([("id", .string($0.id)), ("version", .string($0.version)), ("path", .string($0.path)),
                         ("sha256", .string($0.sha256)), ("abi_version", .number(Double($0.abiVersion)))])
            })))
        }
        top += [
            ("metrics", .object(results.metrics.map { ($0.key, metric($0)) })),
            ("series", .object(results.series.filter { !$0.index.isEmpty }.map { ($0.key, series($0)) })),
            ("inputs", .object(results.plan.inputs.map { ($0.path, input($0)) })),
            ("fixed_inputs", .object(results.plan.fixedInputs.map { ($0.path, .object([("written", .string($0.written)), ("unit", .string($0.value.dimension.rawValue)), ("provenance", .string($0.provenance.kind.rawValue)), ("citation", .string($0.provenance.text))])) })),
            ("sensitivity", .object(results.metrics.filter(ReportContent.hasDrivers).compactMap { m in
                results.sensitivity(m.key).map { s in
                    let drivers = content.drivers[m.key] ?? []
                    return (m.key, .array(s.entries.map { e in
                        var o: [(String, JSONValue)] = [("input", .string(e.input)), ("spearman", .number(e.spearman)), ("contribution", .number(e.contribution))]
                        if let d = drivers.first(where: { $0.input == e.input }) {
                            o += [("mean_if_low", .number(d.meanIfLow)), ("mean_if_high", .number(d.meanIfHigh))]
                        }
                        return .object(o)
                    }))
                }
            })),
        ] + SensitivityReport.json(results) + [
            ("tables", .object(results.tables.filter { !$0.tables.isEmpty }.map { ($0.module, .array($0.tables.map(table))) })),
            ("executive_summary", content.summary.json),
        ]
        if let convergence = ConvergenceReport.json(results) { top.append(("convergence", convergence)) }
        if let details = samplingDetails(results) { top.append(("sampling_details", details)) }
        return .object(top)
    }

    /// The Sobol design and block standard errors, and the rank correlations written, imposed and
    /// achieved (docs/results-schema.md); nil unless the run used `sobol` or the scenario has correlations.
    static func samplingDetails(_ results: RunResults) -> JSONValue? {
        let design = results.samplingDesign
        var o: [(String, JSONValue)] = []
        if design.method == .sobol {
            o.append(("sobol", .object([
                ("inputs", .array(design.sobolInputs.map { .string($0) })),
                ("lhs_fallback", .array(design.latinHypercubeFallback.map { .string($0) })),
                ("block_standard_errors", .object(results.metrics.compactMap { m in results.blockStandardError(m.key).map { (m.key, .number($0)) } })),
            ])))
        }
        if let c = results.plan.correlation {
            o.append(("correlations", .object([
                ("method", .string(results.config.correlation.rawValue)),
                ("repair_requested", .bool(c.repairRequested)),
                ("written_smallest_eigenvalue", .number(c.smallestEigenvalue)),
                ("frobenius_distance", .number(c.repairDistance)),
                ("pairs", .array(results.achievedRankCorrelations().map { pair, achieved in
                    .object([("between", .array([.string(pair.first), .string(pair.second)])), ("written", pair.written.map(JSONValue.number) ?? .null),
                             ("imposed", .number(pair.used)), ("achieved", .number(achieved))])
                })),
            ])))
        }
        return o.isEmpty ? nil : .object(o)
    }

    static func metric(_ m: RunResults.Metric) -> JSONValue {
        let s = m.summary
        var o: [(String, JSONValue)] = [("unit", .string(m.spec.unit)), ("kind", .string(m.spec.kind.rawValue)), ("headline", .bool(m.spec.headline))]
        if m.spec.kind == .event { o.append(("probability", .number(s.mean))) }
        o += [
            ("mean", .number(s.mean)), ("sd", .number(s.sd)), ("stderr", .number(s.stderr)),
            ("min", .number(s.min)), ("max", .number(s.max)),
            ("p5", .number(s.p5)), ("p25", .number(s.p25)), ("p50", .number(s.p50)), ("p75", .number(s.p75)), ("p95", .number(s.p95)),
            ("n", .number(Double(s.n))),
        ]
        if m.spec.undefinedMeaning != nil { o.append(("undefined", .number(Double(s.undefined)))) }
        return .object(o)
    }

    static func series(_ s: RunResults.Series) -> JSONValue {
        let q = s.summary
        return .object([
            ("unit", .string(s.spec.unit)), ("frequency", .string(s.spec.frequency.rawValue)),
            ("index", .array(s.index.map { .string($0) })),
            ("mean", .array(q.mean.map { .number($0) })),
            ("p5", .array(q.p5.map { .number($0) })), ("p25", .array(q.p25.map { .number($0) })),
            ("p50", .array(q.p50.map { .number($0) })), ("p75", .array(q.p75.map { .number($0) })),
            ("p95", .array(q.p95.map { .number($0) })),
        ])
    }

    static func input(_ i: BoundInput) -> JSONValue {
        var o: [(String, JSONValue)] = [
            ("written", .string(i.written)), ("unit", .string(i.value.dimension.rawValue)),
            ("mean", .number(i.value.distribution.mean)),
            ("p5", .number(i.value.distribution.quantile(0.05))), ("p50", .number(i.value.distribution.quantile(0.5))),
            ("p95", .number(i.value.distribution.quantile(0.95))),
            ("provenance", .string(i.provenance.kind.rawValue)),
        ]
        if !i.provenance.text.isEmpty { o.append(("citation", .string(i.provenance.text))) }
        if let c = i.provenance.confidence { o.append(("confidence", .string(c))) }
        o.append(("read_by", .array(i.readers.map { .string($0) })))
        return .object(o)
    }

    static func table(_ t: ModuleTable) -> JSONValue {
        .object([
            ("title", .string(t.title)), ("caption", .string(t.caption)),
            ("header", .array(t.header.map { .string($0) })),
            ("rows", .array(t.rows.map { .array($0.map { .string($0) }) })),
        ])
    }
}
