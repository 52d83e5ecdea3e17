/// `robustness --json`: the sweep and, per strength, mAP and P@10 of the bent queries.
struct RobustnessJSON: JSONReport {
    struct Point: Codable {
        let strength: Double
        let map: Double
        let p_at_10: Double
    }

    let transform: String
    let `protocol`: String
    let bits: Int
    let points: [Point]
}
