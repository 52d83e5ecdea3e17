import Foundation
import Interchange
import Retrieval

/// Codes made elsewhere: a DeepHash-pytorch save folder, which holds `tst_binary.npy` (the
/// queries' sign() codes, ±1 float32), `trn_binary.npy` (the database's), `tst_label.npy` and
/// `trn_label.npy` (one-hot or multi-hot rows, or class ids), beside the list files its run read
/// (`test.txt`, `database.txt`: `path l1 ... lC`). Relevance is "shares a label", as in `metrics`.
public struct CodesFolder: Sendable {
    public let folder: String
    public let queries: BinaryCodes
    public let database: BinaryCodes
    public let relevance: Relevance

    public static let files = (queryCodes: "tst_binary.npy", databaseCodes: "trn_binary.npy",
                               queryLabels: "tst_label.npy", databaseLabels: "trn_label.npy")

    /// Reads the four arrays; a missing file, a bad array, codes of two lengths or labels that do
    /// not match their codes is one line naming the file.
    public init(folder: String) throws(ServiceError) {
        func path(_ name: String) -> String { (folder as NSString).appendingPathComponent(name) }
        func codes(_ name: String) throws(ServiceError) -> BinaryCodes {
            do { return try NPYInputs.codes(NPYFile.read(path(name)), source: path(name)) } catch {
                throw ServiceError(error.localizedDescription)
            }
        }
        func labels(_ name: String) throws(ServiceError) -> LabelSet {
            do { return try NPYInputs.labels(NPYFile.read(path(name)), source: path(name)) } catch {
                throw ServiceError(error.localizedDescription)
            }
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ServiceError("\(folder): no such folder (a DeepHash-pytorch save folder holds \(Self.files.queryCodes), \(Self.files.databaseCodes), \(Self.files.queryLabels) and \(Self.files.databaseLabels))")
        }
        let queries = try codes(Self.files.queryCodes), database = try codes(Self.files.databaseCodes)
        guard queries.bits == database.bits else {
            throw ServiceError("\(path(Self.files.databaseCodes)): \(database.bits)-bit codes, but \(path(Self.files.queryCodes)) has \(queries.bits) bits")
        }
        let queryLabels = try labels(Self.files.queryLabels), databaseLabels = try labels(Self.files.databaseLabels)
        for (labels, codes, labelFile, codeFile) in [(queryLabels, queries, Self.files.queryLabels, Self.files.queryCodes),
                                                     (databaseLabels, database, Self.files.databaseLabels, Self.files.databaseCodes)]
        where labels.count != codes.count {
            throw ServiceError("\(path(labelFile)): \(labels.count) labels for the \(codes.count) codes of \(path(codeFile))")
        }
        do { relevance = try Relevance(query: queryLabels, database: databaseLabels) } catch {
            throw ServiceError("\(path(error.side == .query ? Self.files.queryLabels : Self.files.databaseLabels)): \(error.message)")
        }
        self.folder = folder
        self.queries = queries
        self.database = database
    }

    /// Checks that the list files describe these codes: one query image per query code, one
    /// database image per database code, in the same order (as DeepHash-pytorch writes them).
    public func check(queries queryGallery: any Gallery, database databaseGallery: any Gallery) throws(ServiceError) {
        let q = (folder as NSString).appendingPathComponent(Self.files.queryCodes)
        let d = (folder as NSString).appendingPathComponent(Self.files.databaseCodes)
        guard queryGallery.count == queries.count else {
            throw ServiceError("\(q): \(queries.count) query codes, but \(queryGallery.spec.description) lists \(queryGallery.count) images")
        }
        guard databaseGallery.count == database.count else {
            throw ServiceError("\(d): \(database.count) database codes, but \(databaseGallery.spec.description) lists \(databaseGallery.count) images")
        }
    }

    /// Query `q`'s P@top and AP@all from the evaluator on this one query: the field's figures,
    /// the same code path as `metrics`.
    public func figures(query q: Int, top: Int) -> (precision: Double, averagePrecision: Double) {
        precondition(queries.count > q && q >= 0, "query \(q) of \(queries.count)")
        return figures(of: queries.subset([q]), labelledAs: q, top: top)
    }

    /// The same figures for `code` (one code of this length: query `q`'s image bent and encoded
    /// by a model) judged by query `q`'s labels against the database.
    public func figures(of code: BinaryCodes, labelledAs q: Int, top: Int) -> (precision: Double, averagePrecision: Double) {
        precondition(queries.count > q && q >= 0 && top >= 1, "query \(q) of \(queries.count), top \(top)")
        precondition(code.count == 1 && code.bits == database.bits, "one \(database.bits)-bit code")
        let one = RetrievalEvaluator.evaluate(queries: code, database: database,
                                              relevance: relevance.restricted(toQuery: q), cutoffs: [top], threads: 1)
        return (one.precisionAt[0], one.meanAveragePrecision)
    }
}
