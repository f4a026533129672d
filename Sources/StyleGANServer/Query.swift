import StyleGANModel

/// A request's query parameters, checked as they are read: every parameter may appear
/// once, every name must be one the endpoint knows, and each accessor checks its value
/// against its range, so whatever reaches the renderer is valid for the model. Failures
/// are `APIError`s (400) naming the parameter.
struct Query {
    /// Longest query string accepted, in bytes (the longest valid one is about 150).
    static let maxLength = 1024

    private let values: [String: String]

    /// `pairs` as decoded from the URI; `allowed` are the endpoint's parameter names.
    init(_ pairs: [(String, String)], allowed: Set<String>) throws {
        var values: [String: String] = [:]
        for (name, value) in pairs {
            guard allowed.contains(name) else {
                throw APIError(.badRequest, "unknown parameter '\(name.prefix(40))' (expected \(allowed.sorted().joined(separator: ", ")))")
            }
            guard values.updateValue(value, forKey: name) == nil else { throw APIError(.badRequest, "parameter '\(name)' given twice") }
        }
        self.values = values
    }

    private func value(_ name: String) throws -> String {
        guard let text = values[name] else { throw APIError(.badRequest, "missing parameter '\(name)'") }
        return text
    }

    private func invalid(_ name: String, _ expected: String) throws -> Never {
        throw APIError(.badRequest, "\(name) must be \(expected), got '\(values[name]!.prefix(40))'")
    }

    /// A seed: a whole number in 0…2³²−1 (z = numpy RandomState(seed).randn, as the CLI).
    func seed(_ name: String) throws -> UInt32 {
        guard let seed = UInt32(try value(name)) else { try invalid(name, "a whole number in 0…\(UInt32.max)") }
        return seed
    }

    /// A finite number in `range`, `fallback` when absent.
    func number(_ name: String, in range: ClosedRange<Float>, default fallback: Float) throws -> Float {
        guard values[name] != nil else { return fallback }
        guard let x = Float(try value(name)), x.isFinite, range.contains(x) else {
            try invalid(name, "a number in [\(range.lowerBound), \(range.upperBound)]")
        }
        return x
    }

    /// A whole number in `range`, `fallback` when absent.
    func integer(_ name: String, in range: ClosedRange<Int>, default fallback: Int) throws -> Int {
        guard values[name] != nil else { return fallback }
        guard let n = Int(try value(name)), range.contains(n) else { try invalid(name, "a whole number in \(range.lowerBound)…\(range.upperBound)") }
        return n
    }

    /// One of an enumeration's spellings, `fallback` when absent.
    func choice<T: RawRepresentable & CaseIterable>(_ name: String, default fallback: T) throws -> T where T.RawValue == String {
        guard values[name] != nil else { return fallback }
        guard let c = T(rawValue: try value(name)) else { try invalid(name, "one of " + T.allCases.map(\.rawValue).joined(separator: ", ")) }
        return c
    }

    /// Style layers as `StyleLayers.named` reads them (coarse, middle, fine or A-B).
    func styles(_ name: String, numLayers: Int, default fallback: String) throws -> ClosedRange<Int> {
        do { return try StyleLayers.named(values[name] ?? fallback, numLayers: numLayers) }
        catch { throw APIError(.badRequest, "\(name): \(error)") }
    }
}
