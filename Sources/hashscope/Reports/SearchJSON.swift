/// `search --json`: the query, where the database came from, and the ranked list.
struct SearchJSON: JSONReport {
    struct Query: Codable {
        let name: String
        /// The gallery id with --query-id; nil for a file.
        @NullWhenAbsent var id: String?
        /// nil when the query has no label (a file).
        @NullWhenAbsent var label: String?
        /// The bend, as --augment spells it; nil for none.
        @NullWhenAbsent var augment: String?
    }

    struct Result: Codable {
        let rank: Int
        let id: String
        let label: String
        let distance: Int
        @NullWhenAbsent var relevant: Bool?
        /// Database items at this distance (1: no tie), and this result's place among them.
        let tie_group: Int
        let tie_rank: Int
    }

    let query: Query
    /// The model file; nil for codes made elsewhere (--codes).
    @NullWhenAbsent var model: String?
    /// The DeepHash-pytorch save folder the codes came from; nil with a model.
    @NullWhenAbsent var codes: String?
    let gallery: String
    let bits: Int
    let database: Int
    let cached: Bool
    let top: Int
    /// relevant / top; nil without a query label.
    @NullWhenAbsent var precision: Double?
    /// P@top as the expectation over every order of tied items; nil without a query label.
    @NullWhenAbsent var tie_aware_precision: Double?
    /// The query's AP over the whole database (--codes only, as `metrics` computes it).
    @NullWhenAbsent var average_precision: Double?
    let results: [Result]
}
